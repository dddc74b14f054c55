"""Output files under hostile conditions: a file-size limit that cuts a write part-way,
a kill before any audio, and SIGKILL at random moments of real-time runs."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import soundfile
import srt

from tests.e2e.conftest import ROOT, start_cli
from translator.audio.wav_writer import WavWriter


def test_wav_is_valid_from_the_moment_it_is_opened(tmp_path: Path) -> None:
    path = tmp_path / "speech.wav"
    writer = WavWriter(path, 24_000)
    try:
        info = soundfile.info(str(path))  # read while open, as a kill would leave it
        assert info.samplerate == 24_000 and info.frames == 0
    finally:
        writer.close()


def test_a_write_cut_part_way_is_rolled_back_to_the_last_whole_record(tmp_path: Path) -> None:
    # RLIMIT_FSIZE makes the kernel accept part of a write, then refuse (like a full disk).
    child = textwrap.dedent(
        f"""
        import resource, signal
        from translator.subtitles.files import AppendOnlyFile
        from translator.subtitles.options import SubtitleError
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
        f = AppendOnlyFile({str(tmp_path / "cut.jsonl")!r})
        n = 0
        try:
            while True:
                f.write('{{"n": %d, "text": "%s"}}\\n' % (n, "x" * 90))
                n += 1
        except SubtitleError as e:
            print(n, e)
        f.close()
        """
    )
    command = [sys.executable, "-c", child]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    whole = int(done.stdout.split()[0])
    text = (tmp_path / "cut.jsonl").read_text(encoding="utf-8")
    assert text.endswith("\n")
    assert [json.loads(line)["n"] for line in text.splitlines()] == list(range(whole))
    assert "File too large" in done.stdout


def _check_left(out: Path) -> int:
    """Every file left parses; returns how many cues/lines/frames there were."""
    found = 0
    for path in sorted(out.iterdir()):
        data = path.read_bytes()
        if path.suffix == ".srt":
            found += len(list(srt.parse(data.decode("utf-8"))))
            assert data == b"" or data.endswith(b"\n\n"), path
        elif path.suffix == ".vtt":
            text = data.decode("utf-8")
            assert text.startswith("WEBVTT"), path
            assert text.endswith("\n\n"), path
            found += text.count(" --> ")
        elif path.suffix == ".jsonl":
            assert data == b"" or data.endswith(b"\n"), path
            found += len([json.loads(line) for line in data.decode("utf-8").splitlines()])
        elif path.suffix == ".wav":
            found += soundfile.info(str(path)).frames  # raises on an empty or torn header
    return found


@pytest.mark.slow
def test_sigkill_at_random_moments_leaves_files_that_parse(tmp_path: Path) -> None:
    rng = random.Random(1313)
    rounds, parallel = 4, 6  # 24 kills, spread over the 22 s real-time sample
    moments = sorted(rng.uniform(0.05, 22.0) for _ in range(rounds * parallel))
    kills = 0
    for r in range(rounds):
        batch = moments[r::rounds]
        procs = []
        for i, at_s in enumerate(batch):
            out = tmp_path / f"r{r}-{i}"
            args = ["run", "configs/en-es.yaml", "--emulator", "--no-play", "--quiet"]
            for name in ("all.srt", "all.vtt", "all.jsonl"):
                args += ["--subtitles", str(out / name)]
            args += ["--audio-out", str(out / "speech.wav")]
            procs.append((at_s, out, start_cli(*args)))
        started = time.monotonic()
        for at_s, _, proc in sorted(procs, key=lambda p: p[0]):
            time.sleep(max(0.0, started + at_s - time.monotonic()))
            proc.kill()
            proc.communicate(timeout=30)
            kills += 1
        for _, out, _ in procs:
            if out.exists():
                _check_left(out)
    assert kills >= 20
