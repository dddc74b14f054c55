"""Capture through the real PortAudio path: pacat plays into ``vmic``, MicSource records ``vmic.monitor``."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from tests.audio.recording import play_into
from tests.audio.signals import best_alignment, chirp, dominant_hz, from_pcm, sine
from translator.audio import AudioChunk, MicSource, open_source

pytestmark = pytest.mark.needs_pulse


async def record(
    mic: MicSource, seconds: float, until: asyncio.Future[None] | None = None
) -> list[AudioChunk]:
    """Record at least ``seconds``; with ``until``, also until it is done and 0.5 s more
    (a loaded machine may start the player late: wait for it, not for a fixed time)."""
    chunks: list[AudioChunk] = []

    async def consume() -> None:
        async for chunk in mic.chunks():
            chunks.append(chunk)

    task = asyncio.ensure_future(consume())
    await asyncio.sleep(seconds)
    if until is not None:
        await asyncio.wait_for(asyncio.shield(until), 30)
        await asyncio.sleep(0.5)
    await mic.aclose()
    await asyncio.wait_for(task, 5)
    return chunks


@pytest.mark.parametrize("device_rate_hz", [48_000, 44_100])
async def test_mic_capture_matches_what_was_played(
    monkeypatch: pytest.MonkeyPatch, device_rate_hz: int
) -> None:
    monkeypatch.setenv("PULSE_SOURCE", "vmic.monitor")
    mic = open_source("mic:pulse")
    assert isinstance(mic, MicSource)
    mic = MicSource(mic.device, device_rate_hz=device_rate_hz, channels=2)  # a stereo device at its own rate
    signal = chirp(200, 4000, 1.0, 24_000)
    padded = np.concatenate([np.zeros(4800), signal, np.zeros(4800)])

    async def play_soon() -> None:
        await asyncio.sleep(0.3)
        proc = play_into("vmic", padded)
        await asyncio.to_thread(proc.wait, 10)

    player = asyncio.ensure_future(play_soon())
    started = time.monotonic()
    chunks = await record(mic, 2.5, until=player)
    elapsed_s = time.monotonic() - started
    await player
    assert mic.dropped_ms == 0 and mic.overflows == 0
    assert all(len(c.pcm) == 960 for c in chunks)
    assert [c.start_ms for c in chunks] == [20 * i for i in range(len(chunks))]  # a gapless timeline
    audio = from_pcm(b"".join(c.pcm for c in chunks))
    assert 2.0 < len(audio) / 24_000 < elapsed_s + 0.3  # about as long as it ran, no more
    lag, score = best_alignment(audio, signal)
    assert score > 0.98, f"captured signal differs (correlation {score:.3f} at {lag / 24:.0f} ms)"
    assert np.max(np.abs(audio[lag : lag + len(signal)])) < 0.6  # no gain added, no clipping
    assert len(mic.handoff_ms) == len(chunks)


async def test_mic_downmixes_and_resamples_a_tone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULSE_SOURCE", "vmic.monitor")
    mic = open_source("mic:pulse", sample_rate_hz=16_000, chunk_ms=10)
    assert isinstance(mic, MicSource)
    proc = play_into("vmic", sine(1000, 2.0, 24_000, amplitude=0.3))
    chunks = await record(mic, 1.2)
    proc.wait(10)
    assert len(chunks[0].pcm) == 320
    audio = from_pcm(b"".join(c.pcm for c in chunks))[4000:]
    assert abs(dominant_hz(audio, 16_000) - 1000) < 3
    assert 0.15 < np.sqrt(np.mean(audio**2)) < 0.25  # 0.3 / sqrt(2)


async def test_aclose_before_start_ends_chunks_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    mic = open_source("mic:pulse")
    await mic.aclose()
    assert [c async for c in mic.chunks()] == []
