"""One file, two writers: paths that name the same file are folded or refused."""

from __future__ import annotations

from pathlib import Path

import srt

from tests.e2e.conftest import run_cli


def test_same_file_for_two_different_contents_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli(
        "run", "configs/en-es.yaml", "--emulator", "--no-play", "--fast",
        "--subtitles", str(out / "al-{target}.srt"), "--subtitles", str(out / "al-es-ES.srt"),
        timeout=120,
    )  # fmt: skip
    assert result.code == 2, result.stderr[-1500:]
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("translator: error:") and "same file" in line


def test_two_spellings_of_one_file_get_one_writer(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "link").symlink_to(out)
    result = run_cli(
        "run", "configs/en-es.yaml", "--emulator", "--no-play", "--fast",
        "--subtitles", str(out / "all.srt"), "--subtitles", str(tmp_path / "link" / "all.srt"),
        "--subtitles", str(out / "sub" / ".." / "all.srt"),
        timeout=120,
    )  # fmt: skip
    assert result.code == 0, result.stderr[-1500:]
    cues = list(srt.parse((out / "all.srt").read_text(encoding="utf-8")))
    assert [c.index for c in cues] == list(range(1, len(cues) + 1)) and len(cues) >= 4
