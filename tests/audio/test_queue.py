from __future__ import annotations

import asyncio

import pytest
from structlog.testing import capture_logs

from translator.audio import AudioChunk, AudioQueueClosed, DropOldestAudioQueue

RATE = 24_000


def chunk(start_ms: int, ms: int = 20) -> AudioChunk:
    return AudioChunk(b"\x01\x00" * (RATE * ms // 1000), start_ms)


async def test_drops_oldest_and_counts_it() -> None:
    queue = DropOldestAudioQueue(max_ms=100, sample_rate_hz=RATE, name="en>es")
    with capture_logs() as logs:
        for i in range(8):
            queue.put_nowait(chunk(i * 20))
    assert queue.dropped_ms == 60
    assert queue.queued_ms == 100
    assert [(await queue.get()).start_ms for _ in range(5)] == [60, 80, 100, 120, 140]
    dropped = [entry for entry in logs if entry["event"] == "audio_dropped"]
    assert dropped and dropped[0]["queue"] == "en>es" and dropped[0]["log_level"] == "warning"


async def test_drop_logs_are_rate_limited() -> None:
    queue = DropOldestAudioQueue(max_ms=20, sample_rate_hz=RATE, name="q")
    with capture_logs() as logs:
        for i in range(200):  # 199 drops of 20 ms = 3980 ms
            queue.put_nowait(chunk(i * 20))
    assert queue.dropped_ms == 3980
    assert 3 <= len([e for e in logs if e["event"] == "audio_dropped"]) <= 5


async def test_get_waits_for_put() -> None:
    queue = DropOldestAudioQueue(max_ms=100, sample_rate_hz=RATE, name="q")
    getter = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    assert not getter.done()
    queue.put_nowait(chunk(0))
    assert (await getter).start_ms == 0


async def test_close_hands_out_the_rest_then_ends() -> None:
    queue = DropOldestAudioQueue(max_ms=100, sample_rate_hz=RATE, name="q")
    queue.put_nowait(chunk(0))
    queue.put_nowait(chunk(20))
    queue.close()
    assert [c.start_ms async for c in queue] == [0, 20]
    with pytest.raises(AudioQueueClosed, match="'q' is closed"):
        await queue.get()


async def test_close_wakes_a_waiting_consumer() -> None:
    queue = DropOldestAudioQueue(max_ms=100, sample_rate_hz=RATE, name="q")
    getter = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    queue.close()
    with pytest.raises(AudioQueueClosed):
        await getter
