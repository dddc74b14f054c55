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
"""Audio sent this long (or two round trips, if longer) before the service's last event
has surely been heard."""
_ASKED_KEPT = 8
"""Unanswered requests remembered (a refused one is never answered: the oldest go)."""
_ASK_TRUSTED_S = 10.0
"""An unanswered request older than this no longer holds ``settled`` back (never wait for ever)."""


class HeardMarks:
    """How much of the audio sent on this connection the service has heard.

    Two questions, two answers:

    * ``heard``: surely heard, for what a new connection must send again. All that was
      sent before a request the service has answered (it handles client events in order),
      and all that was sent a while before its latest event (it was there and alive).
    * ``settled``: the audio in which the service would by now have announced a turn that
      began there. Also the audio sent a while ago, live service or not, as long as no
      request sent after it is still unanswered (which would show the service is behind).

    "A while" is a second, or two round trips if they take longer: the round trip is the
    longest of the last few request-to-answer times, the session's configuration included.
    On a distant or loaded service (or a loaded client) it grows, and so does the wait.
    """

    def __init__(self) -> None:
        self._sends: deque[tuple[float, int]] = deque(maxlen=512)  # (monotonic s, offset sent up to)
        self._last_event_s = 0.0
        self._asked: deque[tuple[float, int]] = deque(maxlen=_ASKED_KEPT)  # unanswered requests
        self._answered = 0
        """Offset sent up to when the latest answered request went out."""
        self._trips: deque[float] = deque(maxlen=5)

    @property
    def round_trip_s(self) -> float:
        return max(self._trips, default=0.0)

    def round_trip(self, seconds: float) -> None:
        """A measured request-to-answer time."""
        self._trips.append(max(0.0, seconds))

    def sent(self, now_s: float, offset: int) -> None:
        if self._sends and now_s - self._sends[-1][0] < 0.05:
            self._sends.pop()  # one mark per 50 ms is plenty
        self._sends.append((now_s, offset))

    def event(self, now_s: float) -> None:
        self._last_event_s = now_s

    def asked(self, now_s: float, offset: int) -> None:
        """A request the service answers in order went out with the audio up to ``offset``."""
        self._asked.append((now_s, offset))

    def answered(self, now_s: float) -> None:
        """The oldest unanswered request was answered."""
        if self._asked:
            asked_s, offset = self._asked.popleft()
            self.round_trip(now_s - asked_s)
            self._answered = max(self._answered, offset)

    def _window_s(self) -> float:
        return max(_HEARD_WITHIN_S, 2.0 * self.round_trip_s)

    def _sent_by(self, time_s: float, origin: int) -> int:
        """The offset sent up to at ``time_s`` (``origin`` if nothing was sent by then)."""
        heard = origin
        for sent_s, offset in self._sends:
            if sent_s > time_s:
                break
            heard = offset
        return heard

    def heard(self, origin: int) -> int:
        """The offset up to which the audio was surely heard (``origin``: none yet)."""
        by_event = self._sent_by(self._last_event_s - self._window_s(), origin)
        return max(by_event, self._answered, origin)

    def settled(self, origin: int, now_s: float, most_s: float) -> int:
        """The offset up to which any turn that began would have been announced by now,
        waiting at most ``most_s`` (so that live input, which the service hears as it
        comes, is never held back by a slow round trip)."""
        window = min(self._window_s(), most_s)
        since = now_s - window
        waiting = [asked_s for asked_s, _ in self._asked if now_s - asked_s < _ASK_TRUSTED_S]
        if waiting:  # the service has not answered this yet: it may be behind since then
            since = min(since, waiting[0] - window)
        return max(self._sent_by(since, origin), self.heard(origin))

    def clear(self) -> None:
        """A new connection: nothing of it is heard yet (the round trips are kept)."""
        self._sends.clear()
        self._asked.clear()
        self._answered = 0
