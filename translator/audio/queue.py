"""A bounded audio queue that never blocks its producer (microphone, stream decoder).

Drop policy: the queue holds at most ``max_ms`` of audio. ``put_nowait`` never waits;
when a new chunk would exceed the bound, the *oldest* queued chunks are dropped and
their duration is added to ``dropped_ms`` (logged as ``audio_dropped``, at most once per
second of lost audio). A slow or
reconnecting consumer therefore loses its own oldest audio and never stalls the
microphone or the other consumers. A chunk longer than ``max_ms`` on its own is kept
(it is the newest audio) after everything older has gone.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator

import structlog

from translator.audio.chunk import BYTES_PER_SAMPLE, AudioChunk
from translator.audio.errors import AudioError

log = structlog.get_logger(__name__)

_LOG_EVERY_MS = 1000
"""Drops are logged at the first one and then once per further second lost, not per chunk."""


class AudioQueueClosed(AudioError):
    """``get()`` on a closed queue that has nothing left."""


class DropOldestAudioQueue:
    """Bounded by duration; see the module docstring for the drop policy. One consumer per queue."""

    def __init__(self, max_ms: int, sample_rate_hz: int, name: str) -> None:
        if max_ms <= 0 or sample_rate_hz <= 0:
            raise ValueError(f"max_ms and sample_rate_hz must be positive, got {max_ms}, {sample_rate_hz}")
        self.name = name
        self.max_ms = max_ms
        self.sample_rate_hz = sample_rate_hz
        self.dropped_ms = 0
        self._max_bytes = max_ms * sample_rate_hz // 1000 * BYTES_PER_SAMPLE
        self._chunks: deque[AudioChunk] = deque()
        self._bytes = 0
        self._dropped_bytes = 0
        self._closed = False
        self._logged_ms: int | None = None
        self._ready = asyncio.Event()

    @property
    def queued_ms(self) -> int:
        return self._bytes // BYTES_PER_SAMPLE * 1000 // self.sample_rate_hz

    def put_nowait(self, chunk: AudioChunk) -> None:
        if self._closed:
            return
        dropped = 0
        while self._chunks and self._bytes + len(chunk.pcm) > self._max_bytes:
            old = self._chunks.popleft()
            self._bytes -= len(old.pcm)
            dropped += len(old.pcm)
        self._chunks.append(chunk)
        self._bytes += len(chunk.pcm)
        if dropped:
            self._dropped_bytes += dropped
            self.dropped_ms = self._dropped_bytes // BYTES_PER_SAMPLE * 1000 // self.sample_rate_hz
            if self._logged_ms is None or self.dropped_ms - self._logged_ms >= _LOG_EVERY_MS:
                self._logged_ms = self.dropped_ms
                log.warning(
                    "audio_dropped",
                    queue=self.name,
                    dropped_ms=self.dropped_ms,
                    at_ms=self._chunks[0].start_ms,
                )
        self._ready.set()

    async def get(self) -> AudioChunk:
        """The oldest chunk; waits for one. Raises :class:`AudioQueueClosed` once closed and empty."""
        while not self._chunks:
            if self._closed:
                raise AudioQueueClosed(f"audio queue {self.name!r} is closed")
            self._ready.clear()
            await self._ready.wait()
        chunk = self._chunks.popleft()
        self._bytes -= len(chunk.pcm)
        return chunk

    def close(self) -> None:
        """No more input: ``get()`` hands out what is left, then raises :class:`AudioQueueClosed`."""
        self._closed = True
        self._ready.set()

    async def __aiter__(self) -> AsyncIterator[AudioChunk]:
        while True:
            try:
                yield await self.get()
            except AudioQueueClosed:
                return
