"""SIGKILL a writer process mid-stream: every cue written before the kill is there and parses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import srt

from tests.subtitles.test_parsers import ffprobe_count

ROOT = Path(__file__).resolve().parents[2]


def _kill_after(directory: Path, seconds: float) -> tuple[int, int, int]:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.subtitles.crash_child", str(directory)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    first = child.stdout.readline()  # the child is up and writing
    assert first, "crash child died before writing"
    time.sleep(seconds)
    os.kill(child.pid, signal.SIGKILL)
    reports = child.stdout.read().split("\n")
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    sizes = [line.split() for line in [first, *reports] if len(line.split()) == 3]
    last = sizes[-1]
    return int(last[0]), int(last[1]), int(last[2])


@pytest.mark.parametrize("seconds", [0.0, 0.05, 0.13, 0.31, 0.57, 0.9, 1.4])
def test_files_left_by_a_killed_writer_hold_every_finished_cue_and_parse(
    seconds: float, tmp_path: Path
) -> None:
    reported = _kill_after(tmp_path, seconds)
    srt_path, vtt_path, jsonl_path = (tmp_path / f"live.{ext}" for ext in ("srt", "vtt", "jsonl"))
    for path, size in zip((srt_path, vtt_path, jsonl_path), reported, strict=True):
        assert path.stat().st_size >= size, f"{path.name} lost data that had been written"

    srt_text = srt_path.read_text(encoding="utf-8")
    parsed = list(srt.parse(srt_text))
    assert srt_text == "" or srt_text.endswith("\n\n")
    assert [c.index for c in parsed] == list(range(1, len(parsed) + 1))
    assert srt_text.count(" --> ") == len(parsed)

    vtt_text = vtt_path.read_text(encoding="utf-8")
    assert vtt_text.startswith("WEBVTT\n\n") and vtt_text.endswith("\n\n")
    blocks = [b for b in vtt_text.split("\n\n")[1:] if b]
    assert all(" --> " in b.split("\n")[0] and len(b.split("\n")) >= 2 for b in blocks)
    # Same options, written SRT first: the kill may fall between the two writes of one event.
    assert 0 <= len(parsed) - len(blocks) <= 4
    assert ffprobe_count(vtt_path) == len(blocks)
    if srt_text:  # ffprobe cannot probe an empty file; an empty SRT simply has no cues
        assert ffprobe_count(srt_path) == len(parsed)
    assert len(parsed) > 0 or reported[0] == 0

    jsonl_text = jsonl_path.read_text(encoding="utf-8")
    assert jsonl_text == "" or jsonl_text.endswith("\n")
    for line in jsonl_text.splitlines():
        record = json.loads(line)
        assert record["kind"] in ("source", "translation")
