"""Issue 12, items 1-4: outputs are never lost to a failed start, failed writes are
reported, ``--stats`` is checked first, and output paths cannot clash."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import srt

from tests.e2e.conftest import PAIR_PROFILE, ROOT, SAMPLES, SECRET_KEY, Result, run_cli, write_profile

SAMPLE = str(SAMPLES / "en-es-sample.wav")
FAST = ["run", "configs/en-es.yaml", "--emulator", "--no-play", "--fast"]


def _one_line_error(result: Result) -> str:
    errors = [line for line in result.stderr.splitlines() if line.startswith("translator: error:")]
    assert len(errors) == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    return errors[0]


def _old_outputs(tmp_path: Path) -> dict[Path, bytes]:
    old = {
        tmp_path / "a.srt": b"1\n00:00:00,000 --> 00:00:01,000\nold cue\n\n",
        tmp_path / "a.wav": os.urandom(4096),
    }
    for path, data in old.items():
        path.write_bytes(data)
    return old


def _assert_untouched(tmp_path: Path, old: dict[Path, bytes]) -> None:
    for path, data in old.items():
        assert path.read_bytes() == data, path
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
    assert leftovers == [], leftovers


@pytest.mark.parametrize("bad_input", ["missing", "text", "empty"])
def test_a_failed_start_leaves_previous_outputs_byte_identical(tmp_path: Path, bad_input: str) -> None:
    old = _old_outputs(tmp_path)
    source = tmp_path / "in.wav"
    if bad_input == "text":
        source.write_text("this is not audio\n", encoding="utf-8")
    elif bad_input == "empty":
        source.write_bytes(b"")
    result = run_cli(
        *FAST,
        "--input",
        str(source),
        "--subtitles",
        str(tmp_path / "a.srt"),
        "--audio-out",
        str(tmp_path / "a.wav"),
    )
    assert result.code == 2, result.stderr[-2000:]
    _one_line_error(result)
    _assert_untouched(tmp_path, old)


def test_a_missing_microphone_leaves_previous_outputs_byte_identical(tmp_path: Path) -> None:
    old = _old_outputs(tmp_path)
    result = run_cli(
        *FAST,
        "--input",
        "mic:no-such-microphone-anywhere",
        "--subtitles",
        str(tmp_path / "a.srt"),
        "--audio-out",
        str(tmp_path / "a.wav"),
    )
    assert result.code == 2, result.stderr[-2000:]
    _one_line_error(result)
    _assert_untouched(tmp_path, old)


def test_a_successful_run_replaces_the_outputs(tmp_path: Path) -> None:
    old = _old_outputs(tmp_path)
    result = run_cli(
        *FAST,
        "--input",
        SAMPLE,
        "--subtitles",
        str(tmp_path / "a.srt"),
        "--audio-out",
        str(tmp_path / "a.wav"),
    )
    assert result.code == 0, result.stderr[-2000:]
    cues = list(srt.parse((tmp_path / "a.srt").read_text(encoding="utf-8")))
    assert len(cues) >= 4 and all("old cue" not in c.content for c in cues)
    assert (tmp_path / "a.wav").read_bytes()[:4] == b"RIFF"
    assert (tmp_path / "a.wav").stat().st_size > 100_000 and (tmp_path / "a.wav").read_bytes() != old[
        tmp_path / "a.wav"
    ]
    assert oct((tmp_path / "a.srt").stat().st_mode & 0o777) != oct(0o600)  # not the temp file's private mode
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _limited_run(args: list[str], max_file_bytes: int) -> Result:
    """The CLI with files capped at ``max_file_bytes`` (writes past it fail with EFBIG)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    env = {**os.environ, "AZURE_COGNITIVE_SERVICES_KEY": SECRET_KEY, "PYTHONUNBUFFERED": "1"}
    env.pop("AZURE_COGNITIVE_SERVICES_ENDPOINT", None)
    proc = subprocess.run(
        [sys.executable, "-m", "translator", "--log-format", "json", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=ROOT,
        preexec_fn=limit,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def test_a_failed_last_write_is_reported_with_a_non_zero_exit(tmp_path: Path) -> None:
    full = tmp_path / "full.srt"
    result = run_cli(*FAST, "--input", SAMPLE, "--subtitles", str(full), "--quiet")
    assert result.code == 0, result.stderr[-2000:]
    size = full.stat().st_size
    cut = tmp_path / "cut.srt"
    result = _limited_run([*FAST, "--input", SAMPLE, "--subtitles", str(cut), "--quiet"], size - 1)
    assert result.code not in (0, 2), result.stderr[-2000:]
    line = _one_line_error(result)
    assert str(cut) in line and ".partial" not in line, line
    assert "internal error" not in line
    assert cut.stat().st_size < size


def test_stats_path_is_checked_before_the_run(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = run_cli(*FAST, "--input", SAMPLE, "--stats", str(blocker / "stats.json"))
    assert result.code == 2, result.stderr[-2000:]
    line = _one_line_error(result)
    assert "--stats" in line and "is a file" in line, line
    assert "emulator_started" not in result.stderr  # refused before anything started


def test_stats_in_a_missing_folder_is_written_after_the_summary(tmp_path: Path) -> None:
    stats = tmp_path / "new" / "deeper" / "stats.json"
    result = run_cli(*FAST, "--input", SAMPLE, "--stats", str(stats))
    assert result.code == 0, result.stderr[-2000:]
    assert '"event": "summary"' in result.stderr  # printed, then the stats written
    assert json.loads(stats.read_text(encoding="utf-8"))["directions"]


def test_stats_dash_means_stdout(tmp_path: Path) -> None:
    result = run_cli(*FAST, "--input", SAMPLE, "--quiet", "--stats", "-")
    assert result.code == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["directions"]
    assert not (ROOT / "-").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--subtitles", "{d}/b.srt", "--audio-out", "{d}/b.srt"], "ending in .wav"),
        (["--audio-out", "{d}/x.wav", "--stats", "{d}/x.wav"], "both write"),
        (["--subtitles", "{d}/b.srt", "--stats", "{d}/b.srt"], "both write"),
        (["--audio-out", "{d}/out.mp3"], ".wav"),
        (["--audio-out", "-"], "stdout"),
        (["--subtitles", "{d}/x.txt"], ".srt, .vtt or .jsonl"),
        (["--subtitles", "{d}/x-{n}.srt"], "unknown placeholder {n}"),
        (["--subtitles", "{d}/x-{}.srt"], "unknown placeholder {}"),
        (["--subtitles", "{d}/x-{target.srt"], "literal braces"),
        (["--audio-out", "{d}/x-}.wav"], "literal braces"),
        (["--subtitles", "{d}/dir.srt"], "is a folder"),
    ],
)
def test_clashing_or_impossible_outputs_exit_2_naming_the_fix(
    tmp_path: Path, args: list[str], words: str
) -> None:
    existing = tmp_path / "b.srt"
    existing.write_text("keep me\n", encoding="utf-8")
    (tmp_path / "dir.srt").mkdir()
    filled = [a.replace("{d}", str(tmp_path)) for a in args]
    result = run_cli(*FAST, "--input", SAMPLE, *filled)
    assert result.code == 2, result.stderr[-2000:]
    assert words in _one_line_error(result)
    assert existing.read_text(encoding="utf-8") == "keep me\n"


def test_several_targets_in_one_subtitle_file_is_refused_with_a_hint(tmp_path: Path) -> None:
    profile = write_profile(
        tmp_path / "many.yaml",
        "directions:\n  - {source: en-US, target: es-ES}\n  - {source: en-US, target: fr-FR}\n",
    )
    result = run_cli(
        "run",
        str(profile),
        "--emulator",
        "--no-play",
        "--fast",
        "--input",
        SAMPLE,
        "--subtitles",
        str(tmp_path / "out.srt"),
    )
    assert result.code == 2, result.stderr[-2000:]
    line = _one_line_error(result)
    assert "{target}" in line and "out.{target}.srt" in line, line
    # JSONL keeps the languages apart in its records: allowed
    ok = run_cli(
        "run",
        str(profile),
        "--emulator",
        "--no-play",
        "--fast",
        "--input",
        SAMPLE,
        "--subtitles",
        str(tmp_path / "out.jsonl"),
        "--quiet",
    )
    assert ok.code == 0, ok.stderr[-2000:]


def test_pair_profile_still_writes_one_shared_file(tmp_path: Path) -> None:
    profile = write_profile(tmp_path / "pair.yaml", PAIR_PROFILE.format(input="mic", max_segment="null"))
    result = run_cli(
        "run",
        str(profile),
        "--emulator",
        "--no-play",
        "--fast",
        "--input",
        SAMPLE,
        "--scenario",
        str(SAMPLES / "en-es-sample.yaml"),
        "--subtitles",
        str(tmp_path / "all.srt"),
    )
    assert result.code == 0, result.stderr[-2000:]
    assert len(list(srt.parse((tmp_path / "all.srt").read_text(encoding="utf-8")))) >= 4
