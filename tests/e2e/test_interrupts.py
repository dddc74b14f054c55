"""Kill a run at any moment: the subtitle files it leaves hold every finished cue and parse."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
import srt

from tests.e2e.conftest import SAMPLES, SECRET_KEY, start_cli

pytestmark = pytest.mark.slow  # real-time runs, stopped mid-way


def _start(out: Path) -> subprocess.Popen[str]:
    return start_cli(
        "run",
        "configs/en-es.yaml",
        "--emulator",
        "--input",
        str(SAMPLES / "en-es-sample.wav"),
        "--scenario",
        str(SAMPLES / "en-es-sample.yaml"),
        "--no-play",
        "--subtitles",
        str(out / "s.srt"),
        "--subtitles",
        str(out / "s.vtt"),
        "--subtitles",
        str(out / "s.jsonl"),
    )


def _wait_for_translations(path: Path, n: int, timeout_s: float = 40.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists():
            lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.endswith("}")]
            if sum(x["kind"] == "translation" for x in lines) >= n:
                return
        time.sleep(0.05)
    raise AssertionError(f"{path} never got {n} translations")


def _vtt_cues(text: str) -> list[tuple[str, str]]:
    assert text.startswith("WEBVTT")
    blocks = [b for b in text.split("\n\n")[1:] if b.strip()]
    cues = []
    for block in blocks:
        timing, *lines = block.strip("\n").split("\n")
        start, arrow, end = timing.split(" ")[:3]
        assert arrow == "-->" and len(start) == len(end) == 12 and lines
        cues.append((start, " ".join(lines)))
    return cues


def _ffprobe_count(path: Path) -> int:
    if path.stat().st_size == 0:
        return 0  # an SRT with no cue yet is empty (valid); ffprobe refuses empty input
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-count_packets",
            "-show_entries",
            "stream=nb_read_packets",
            "-of",
            "csv=p=0",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return int(out or 0)


def _check_files(out: Path) -> tuple[int, int, int]:
    cues = list(srt.parse((out / "s.srt").read_text(encoding="utf-8")))
    assert [c.index for c in cues] == list(range(1, len(cues) + 1))
    vtt = _vtt_cues((out / "s.vtt").read_text(encoding="utf-8"))
    lines = [json.loads(x) for x in (out / "s.jsonl").read_text(encoding="utf-8").splitlines()]
    lines = [x for x in lines if x["kind"] == "translation"]
    assert _ffprobe_count(out / "s.srt") == len(cues)
    assert _ffprobe_count(out / "s.vtt") == len(vtt)
    return len(cues), len(vtt), len(lines)


@pytest.mark.parametrize("after_lines", [1, 3])
def test_sigkill_leaves_parseable_files_with_every_finished_cue(tmp_path: Path, after_lines: int) -> None:
    proc = _start(tmp_path)
    try:
        _wait_for_translations(tmp_path / "s.jsonl", after_lines)
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
    srt_n, vtt_n, jsonl_n = _check_files(tmp_path)
    assert jsonl_n >= after_lines
    # every translation whose cue could be timed is already in the cue files
    assert srt_n == vtt_n and srt_n >= jsonl_n - 1


def test_ctrl_c_finishes_the_last_translation_and_closes_the_files(tmp_path: Path) -> None:
    proc = _start(tmp_path)
    _wait_for_translations(tmp_path / "s.jsonl", 1)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr[-2000:]
    assert '"event": "stopping"' in stderr
    srt_n, vtt_n, jsonl_n = _check_files(tmp_path)
    assert srt_n == vtt_n == jsonl_n >= 1
    assert "Traceback" not in stderr and SECRET_KEY not in stdout + stderr
