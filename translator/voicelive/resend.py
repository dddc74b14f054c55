"""The recent input audio of one session, on the input timeline (pure, no I/O).

When the service detects the turns, the client cannot know which samples belong to
an utterance before the service says so. It therefore keeps the input from the
oldest point that may still matter (the start of the oldest utterance without a
transcript, or a short look-back) so that a new connection can hear it again.
Positions are absolute byte offsets from the start of the input; ``trim`` forgets
the past in steps, so keeping an hour of input costs no memory.
"""

from __future__ import annotations

from collections import deque

_TRIM_STEP_BYTES = 48_000  # trim in steps of at least 1 s at 24 kHz


class ResendBuffer:
    def __init__(self, sample_rate_hz: int) -> None:
        self._bytes_per_ms = sample_rate_hz * 2 // 1000
        self._data = bytearray()
        self.start = 0
        """Absolute byte offset of the first byte kept."""

    @property
    def end(self) -> int:
        """Absolute byte offset just past the last byte appended."""
        return self.start + len(self._data)

    @property
    def start_ms(self) -> int:
        return self.ms(self.start)

    @property
    def end_ms(self) -> int:
        return self.ms(self.end)

    def ms(self, offset: int) -> int:
        return offset // self._bytes_per_ms

    def offset(self, ms: int) -> int:
        """The byte offset of ``ms``, clamped to what is kept."""
        return min(max(ms * self._bytes_per_ms, self.start), self.end)

    def append(self, pcm: bytes) -> None:
        self._data += pcm

    def read(self, offset: int, limit: int) -> bytes:
        """Up to ``limit`` bytes from ``offset`` (which must be kept)."""
        if offset < self.start:
            raise ValueError(f"offset {offset} was trimmed (the buffer starts at {self.start})")
        a = offset - self.start
        return bytes(self._data[a : a + limit])

    def trim(self, before: int) -> None:
        """Forget the bytes before ``before`` (in steps, so trimming stays cheap)."""
        before = min(before, self.end)
        before -= before % 2
        if before - self.start >= _TRIM_STEP_BYTES:
            del self._data[: before - self.start]
            self.start = before


_HEARD_WITHIN_S = 1.0
"""Audio sent this long before the service's last event has surely been heard."""


class HeardMarks:
    """How much of the audio sent on this connection the service has surely heard: all
    that was sent ``_HEARD_WITHIN_S`` before its latest event (it was there, and events
    come in order)."""

    def __init__(self) -> None:
        self._sends: deque[tuple[float, int]] = deque(maxlen=512)  # (monotonic s, offset sent up to)
        self._last_event_s = 0.0

    def sent(self, now_s: float, offset: int) -> None:
        if self._sends and now_s - self._sends[-1][0] < 0.05:
            self._sends.pop()  # one mark per 50 ms is plenty
        self._sends.append((now_s, offset))

    def event(self, now_s: float) -> None:
        self._last_event_s = now_s

    def heard(self, origin: int) -> int:
        """The offset up to which the audio was surely heard (``origin``: none yet)."""
        heard = origin
        for sent_s, offset in self._sends:
            if sent_s > self._last_event_s - _HEARD_WITHIN_S:
                break
            heard = offset
        return heard

    def clear(self) -> None:
        self._sends.clear()
