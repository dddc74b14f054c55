"""Audio fan-out without a task per listener: on each wake-up of a language's channel, one loop
writes the same ready-framed WebSocket message to every listener's transport.

A server's WebSocket frames are not masked, so the bytes of one message are the same for
every listener at the same cursor: the frame is built once (``AudioChannel.message`` caches it)
and each listener costs one ``transport.write``. aiohttp's own frames (pings, close) go
through the same transport, whole frames each, so they interleave safely.

Per-listener queue and drop policy: a listener's queue is its transport's write buffer,
bounded by ``MAX_BUFFERED_BYTES``. While it is fuller than that, nothing more is written to
it and its cursor stays; frames that wait longer than ``MAX_LAG_S`` are then skipped (it
resumes at the live point, skips counted). A listener stuck for ``STALL_DROP_S`` is closed.
Nothing here ever waits: the translation and the other listeners never feel a slow phone.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import structlog

from translator.serve.channel import AudioChannel

log = structlog.get_logger(__name__)

MAX_LAG_S = 0.5
MAX_BUFFERED_BYTES = 16_384
"""About 4 s of 32 kbit/s audio waiting in user space for one socket (the kernel buffers more)."""
STALL_DROP_S = 5.0


class Transport(Protocol):
    def write(self, data: bytes) -> None: ...
    def get_write_buffer_size(self) -> int: ...
    def is_closing(self) -> bool: ...
    def close(self) -> None: ...


class Stats(Protocol):
    frames_skipped: int
    listeners_dropped: int

    def written(self, frames: int, size: int, lags_s: list[float]) -> None: ...


@dataclass(eq=False)
class Listener:
    transport: Transport
    lang: str
    cursor: int
    stalled_since: float | None = None
    skips: int = 0


def ws_binary_frame(payload: bytes) -> bytes:
    """RFC 6455 unmasked binary frame (FIN set)."""
    n = len(payload)
    if n < 126:
        head = struct.pack(">BB", 0x82, n)
    elif n < 65536:
        head = struct.pack(">BBH", 0x82, 126, n)
    else:
        head = struct.pack(">BBQ", 0x82, 127, n)
    return head + payload


class FanOut:
    """The listeners of one channel."""

    def __init__(
        self, channel: AudioChannel, lang: str, stats: Stats, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        self.channel = channel
        self.lang = lang
        self.stats = stats
        self.listeners: set[Listener] = set()
        channel.on_wake(self.deliver)

    def attach(self, transport: Transport) -> Listener:
        listener = Listener(transport, self.lang, self.channel.head)
        self.listeners.add(listener)
        return listener

    def detach(self, listener: Listener) -> None:
        self.listeners.discard(listener)

    def deliver(self) -> None:
        now = self._clock()
        channel = self.channel
        for listener in list(self.listeners):
            transport = listener.transport
            if transport.is_closing():
                self.listeners.discard(listener)
                continue
            if transport.get_write_buffer_size() > MAX_BUFFERED_BYTES:
                if listener.stalled_since is None:
                    listener.stalled_since = now
                elif now - listener.stalled_since >= STALL_DROP_S:
                    self._drop(listener, "stalled")
                continue
            listener.stalled_since = None
            batch = channel.take(listener.cursor, now, MAX_LAG_S)
            listener.cursor = batch.cursor
            if batch.skipped:
                listener.skips += 1
                self.stats.frames_skipped += batch.skipped
            if not batch.frames:
                continue
            message = channel.message(batch, ws_binary_frame)
            transport.write(message)
            written_at = self._clock()
            self.stats.written(
                len(batch.frames), len(message), [written_at - f.source_at_s for f in batch.frames]
            )

    def _drop(self, listener: Listener, reason: str) -> None:
        self.listeners.discard(listener)
        self.stats.listeners_dropped += 1
        log.info("listener_dropped", lang=self.lang, reason=reason)
        listener.transport.close()
