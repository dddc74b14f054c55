"""The broadcast feed: the real CLI publishes each target as Ogg/Opus to Debian's icecast2 on
loopback; ffmpeg records a mount as any radio listener would, decodes it, and every
translated utterance of that target is in it (cross-correlation, as in the device tests).
The source password is never printed."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.audio.signals import best_alignment
from tests.e2e.conftest import ROOT, SAMPLES, run_cli
from tests.serve.helpers import ServedRun, icecast, wait_for

pytestmark = pytest.mark.slow

PASSWORD = "ice-Pw-5f1e9a"


def _regions(x: np.ndarray, rate: int, gap_s: float = 0.5) -> list[tuple[int, int]]:
    loud = np.flatnonzero(np.abs(x) > 0.01)
    regions, start, last = [], int(loud[0]), int(loud[0])
    for i in loud[1:]:
        if i - last > gap_s * rate:
            regions.append((start, last))
            start = int(i)
        last = int(i)
    regions.append((start, last))
    return [r for r in regions if r[1] - r[0] > rate // 2]


def test_icecast_feed_carries_every_translation(tmp_path: Path) -> None:
    with icecast(tmp_path, PASSWORD) as port:
        url = f"icecast://source:{PASSWORD}@127.0.0.1:{port}/live-{{target}}"
        run = ServedRun(
            "run", str(ROOT / "configs" / "en-es.yaml"), "--emulator",
            "--input", str(SAMPLES / "en-es-sample.wav"), "--scenario", str(SAMPLES / "en-es-sample.yaml"),
            "--no-play", "--audio-out", str(tmp_path / "sent-{target}.wav"),
            "--broadcast", url, "--serve", "127.0.0.1:0",
        )  # fmt: skip
        # Both mounts up, or the run over (a loaded machine may take long to get there; the
        # deadline only bounds a hang).
        def mounts() -> int:
            return sum(r.get("event") == "broadcast_started" for r in run.log)

        wait_for(lambda: mounts() == 2 or run.proc.poll() is not None, 120, "both mounts")
        assert mounts() == 2, "the run ended before both mounts started:\n" + "".join(run.stderr_lines[-30:])
        recording = tmp_path / "es.ogg"
        listener = subprocess.Popen(
            ["ffmpeg", "-loglevel", "error", "-y", "-i", f"http://127.0.0.1:{port}/live-es-ES", "-c", "copy",
             str(recording)],
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            code, stdout, stderr = run.wait(timeout=120)
            listener.wait(timeout=30)  # the mount ends when the run stops publishing
        finally:
            if listener.poll() is None:
                listener.kill()
    assert code == 0, stderr[-3000:]
    assert PASSWORD not in stdout + stderr
    assert f"icecast://127.0.0.1:{port}/live-es-ES" in stderr  # named in the logs without credentials

    decoded = tmp_path / "es.wav"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(recording),
            "-ar",
            "24000",
            "-ac",
            "1",
            str(decoded),
        ],
        check=True,
    )
    heard, rate = soundfile.read(decoded, dtype="float64")
    assert rate == 24_000
    sent, _ = soundfile.read(tmp_path / "sent-es-ES.wav", dtype="float64")
    regions = _regions(sent, rate)
    assert len(regions) >= 2
    for s, e in regions:
        _, similarity = best_alignment(heard, sent[s:e])
        assert similarity > 0.7, similarity  # the same speech (unrelated audio: < 0.2)


def test_a_bad_broadcast_address_is_refused_before_the_run_starts(tmp_path: Path) -> None:
    started = time.monotonic()
    result = run_cli(
        "run", str(ROOT / "configs" / "en-es.yaml"), "--emulator", "--no-play",
        "--broadcast", f"icecast://source:{PASSWORD}@127.0.0.1:8000/live",
    )  # fmt: skip
    assert result.code == 2
    assert "{target}" in result.stderr and PASSWORD not in result.stderr + result.stdout
    assert time.monotonic() - started < 60
