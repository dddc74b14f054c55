"""Latency added by translator.audio on the real PortAudio path (PulseAudio null sinks).

Prints one JSON object:
- capture: PortAudio input callback → chunk handed out by ``MicSource.chunks()`` (downmix,
  resample 48 kHz stereo → 24 kHz mono, re-chunk to 20 ms, queue hand-off to the loop);
- playback: ``Player.push()`` → first sample of that chunk copied in the output callback,
  for 20 ms chunks pushed in real time, with the default 100 ms prebuffer and without one.

Usage: ``python scripts/bench_audio.py [--seconds 10]``. Starts its own PulseAudio daemon.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.pulse import PulseAudio  # noqa: E402  (must start before sounddevice is imported)

RATE = 24_000
CHUNK_MS = 20


def summary(values_ms: list[float]) -> dict[str, Any]:
    data = np.asarray(values_ms)
    return {
        "count": int(data.size),
        "p50_ms": round(float(np.percentile(data, 50)), 2),
        "p99_ms": round(float(np.percentile(data, 99)), 2),
        "max_ms": round(float(data.max()), 2),
    }


async def bench_capture(seconds: float) -> dict[str, Any]:
    from translator.audio import MicSource, open_source

    os.environ["PULSE_SOURCE"] = "vmic.monitor"
    found = open_source("mic:pulse")
    assert isinstance(found, MicSource)
    mic = MicSource(found.device, device_rate_hz=48_000, channels=2)
    count = 0

    async def consume() -> None:
        nonlocal count
        async for _ in mic.chunks():
            count += 1

    task = asyncio.ensure_future(consume())
    await asyncio.sleep(seconds)
    await mic.aclose()
    await task
    return {**summary(list(mic.handoff_ms)[5:]), "overflows": mic.overflows, "device_rate_hz": 48_000}


async def bench_playback(seconds: float, prebuffer_ms: int) -> dict[str, Any]:
    from translator.audio import Player
    from translator.events import TranslationAudio

    os.environ["PULSE_SINK"] = "vspk"
    player = Player.open({"en-US>es-ES": "pulse"}, prebuffer_ms=prebuffer_ms)
    assert player is not None
    t = np.arange(int(seconds * RATE)) / RATE
    pcm = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2").tobytes()
    step = RATE * CHUNK_MS // 1000 * 2
    t0 = time.monotonic()
    for i, start in enumerate(range(0, len(pcm), step)):
        await asyncio.sleep(max(0.0, t0 + i * CHUNK_MS / 1000 - time.monotonic()))
        player.push(TranslationAudio("en-US>es-ES", "u1", pcm[start : start + step], RATE))
    await player.drain()
    player.close()
    stats = player.stats
    return {
        **summary(player.handoff_ms()),
        "prebuffer_ms": prebuffer_ms,
        "underruns": stats.underruns,
        "lost_ms": stats.lost_ms,
    }


async def main(seconds: float) -> dict[str, Any]:
    return {
        "benchmark": "audio_latency",
        "seconds": seconds,
        "capture_callback_to_chunk": await bench_capture(seconds),
        "playback_push_to_callback": await bench_playback(seconds, 100),
        "playback_push_to_callback_no_prebuffer": await bench_playback(seconds, 0),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    import structlog

    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # stdout is for the JSON
    pulse = PulseAudio.start()
    os.environ.update(pulse.env)
    try:
        result = asyncio.run(main(args.seconds))
    finally:
        pulse.stop()
    print(json.dumps(result))
