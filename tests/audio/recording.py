"""Play into and record from the PulseAudio test sinks with pacat/parec, independent of our code."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from tests.audio.signals import FloatArray, from_pcm

_RAW = ["--raw", "--rate=24000", "--channels=1", "--format=s16le"]


class Recorder:
    """``parec`` on a source (e.g. ``vspk.monitor``) into a temporary file, 24 kHz mono."""

    def __init__(self, source: str) -> None:
        self._file = Path(tempfile.mkstemp(suffix=".raw")[1])
        self._out = self._file.open("wb")
        self._proc = subprocess.Popen(
            ["parec", f"--device={source}", *_RAW, "--latency-msec=10"],
            stdout=self._out,
            stderr=subprocess.DEVNULL,
            env=os.environ,
        )

    def wait_for_tail(self, quiet_s: float = 0.25, timeout_s: float = 15.0) -> None:
        """Wait until the recording ends in ``quiet_s`` of silence after sound: the monitor's
        lag behind the sink grows on a loaded machine, so a fixed sleep may cut the end off."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            raw = self._file.read_bytes()
            data = from_pcm(raw[: len(raw) // 2 * 2])
            loud = np.flatnonzero(np.abs(data) > 0.01)
            if loud.size and len(data) - int(loud[-1]) > quiet_s * 24_000:
                return
            time.sleep(0.05)

    def stop(self) -> FloatArray:
        self._proc.terminate()
        self._proc.wait(timeout=5)
        self._out.close()
        data = from_pcm(self._file.read_bytes())
        self._file.unlink()
        return data


def play_into(sink: str, samples: FloatArray) -> subprocess.Popen[bytes]:
    """Start ``pacat`` playing ``samples`` (24 kHz mono) into ``sink``; returns the running process."""
    proc = subprocess.Popen(
        ["pacat", "--playback", f"--device={sink}", *_RAW, "--latency-msec=200"],
        stdin=subprocess.PIPE,
        env=os.environ,
    )
    assert proc.stdin is not None
    proc.stdin.write((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    proc.stdin.close()
    return proc
