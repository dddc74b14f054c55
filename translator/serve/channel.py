"""One language's encoded audio, shared by all of its listeners: encode once, fan out.

The channel keeps the newest ``keep`` frames in a ring and a running frame number.
Each listener holds only a cursor (the next frame number it wants): publishing a
frame costs the same for one listener or a thousand, and a listener's "queue" is the
distance from its cursor to the head, bounded by the ring.

Drop policy (per listener, never for the producer): frames whose audio reached the
server more than ``max_lag_s`` ago are skipped (the listener jumps to the live point;
the skipped frames are counted); ``fanout.py`` also drops a listener whose socket stays
full (see there). Lateness is measured in time, not frames: the service sends a
translation faster than real time, and a burst of frames is not a late listener.
Publishing never waits.
"""

from __future__ import annotations

import asyncio
import bisect
import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Frame:
    seq: int
    packet: bytes
    source_at_s: float
    """``time.monotonic()`` when the audio that completed this frame reached the server."""


@dataclass(frozen=True, slots=True)
class Batch:
    frames: tuple[Frame, ...]
    skipped: int
    cursor: int


class AudioChannel:
    def __init__(self, keep: int = 3000, wake_every_s: float = 0.0) -> None:
        self._ring: deque[Frame] = deque(maxlen=keep)
        self.head = 0
        """The number the next published frame gets."""
        self._wake = asyncio.Event()
        self._wake_every_s = wake_every_s
        self._wake_pending: asyncio.TimerHandle | None = None
        self._packed: tuple[int, int, bytes] | None = None
        self._on_wake: list[Callable[[], None]] = []

    def on_wake(self, callback: Callable[[], None]) -> None:
        """Also call ``callback`` at each wake-up (the fan-out's delivery round)."""
        self._on_wake.append(callback)

    def publish(self, packet: bytes, source_at_s: float) -> None:
        """Add a frame. Listeners are woken at once, or (``wake_every_s``) at most that often:
        each wake-up costs every listener a task switch and a socket write, so frames are
        grouped into fewer, larger messages at a bounded added latency."""
        self._ring.append(Frame(self.head, packet, source_at_s))
        self.head += 1
        if not self._wake_every_s:
            self._wake_all()
        elif self._wake_pending is None:
            self._wake_pending = asyncio.get_running_loop().call_later(self._wake_every_s, self._wake_all)

    def _wake_all(self) -> None:
        self._wake_pending = None
        wake, self._wake = self._wake, asyncio.Event()
        wake.set()
        for callback in self._on_wake:
            callback()

    def message(self, batch: Batch, frame: Callable[[bytes], bytes] = bytes) -> bytes:
        """``frame(pack(batch.frames))``, built once for all the listeners at the same cursor."""
        if not batch.frames:
            return frame(pack(()))
        key = (batch.frames[0].seq, batch.frames[-1].seq)
        if self._packed is None or self._packed[:2] != key:
            self._packed = (*key, frame(pack(batch.frames)))
        return self._packed[2]

    async def wait_beyond(self, cursor: int) -> None:
        """Return once a frame numbered ``cursor`` or later exists."""
        while self.head <= cursor:
            await self._wake.wait()

    def take(self, cursor: int, now_s: float, max_lag_s: float) -> Batch:
        """Frames from ``cursor`` on, except those that arrived before ``now_s - max_lag_s``."""
        first_kept = self.head - len(self._ring)
        start = max(cursor, first_kept)
        oldest_s = now_s - max_lag_s
        if start < self.head and self._ring[start - first_kept].source_at_s < oldest_s:
            late = bisect.bisect_left(self._ring, oldest_s, key=lambda f: f.source_at_s)
            start = max(start, first_kept + late)
        skipped = start - cursor
        frames = tuple(self._ring[i - first_kept] for i in range(start, self.head))
        return Batch(frames, skipped, self.head)


MESSAGE_AUDIO = 1
_PACKET_HEAD = struct.Struct(">IH")


def pack(frames: tuple[Frame, ...]) -> bytes:
    """The wire format of one audio message: ``0x01`` then, per frame, u32 number, u16 length, Opus packet."""
    parts = [bytes((MESSAGE_AUDIO,))]
    for f in frames:
        parts.append(_PACKET_HEAD.pack(f.seq & 0xFFFFFFFF, len(f.packet)))
        parts.append(f.packet)
    return b"".join(parts)


def unpack(message: bytes) -> list[tuple[int, bytes]]:
    """The inverse of :func:`pack` (for tests and the benchmark's listeners)."""
    if not message or message[0] != MESSAGE_AUDIO:
        raise ValueError("not an audio message")
    out: list[tuple[int, bytes]] = []
    pos = 1
    while pos < len(message):
        seq, size = _PACKET_HEAD.unpack_from(message, pos)
        pos += _PACKET_HEAD.size
        out.append((seq, message[pos : pos + size]))
        pos += size
    return out
