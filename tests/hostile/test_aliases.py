"""One file, two writers: paths that name the same file are folded or refused."""

from __future__ import annotations

from pathlib import Path

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
    assert line.startswith("translator: error:") and "both write" in line


def test_two_spellings_of_one_file_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    """Real paths are compared: a symlinked folder or a '..' is the same file, and one file
    gets one writer, so the aliases are refused (exit 2, one line) and nothing is written."""
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "link").symlink_to(out)
    result = run_cli(
        "run", "configs/en-es.yaml", "--emulator", "--no-play", "--fast",
        "--subtitles", str(out / "all.srt"), "--subtitles", str(tmp_path / "link" / "all.srt"),
        "--subtitles", str(out / "sub" / ".." / "all.srt"),
        timeout=120,
    )  # fmt: skip
    assert result.code == 2, result.stderr[-1500:]
    assert result.stderr.strip().splitlines()[-1].startswith("translator: error:")
    assert "both write" in result.stderr and "Traceback" not in result.stderr
    assert not (out / "all.srt").exists()
