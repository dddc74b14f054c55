"""The input on its way to the service, for one session whose turns the service detects
(pure, no I/O): what is kept, what the current connection has, and what the service has
heard of it.

Everything is on the input timeline in ms; byte offsets stay inside. A connection's
audio clock starts at its ``origin`` (where it resumed), so the service's ``audio_*_ms``
map back with ``input_ms``. When the backlog outgrows the buffer, audio the connection
never had is skipped and the origin moves with it.
"""

from __future__ import annotations

from translator.voicelive.resend import HeardMarks, ResendBuffer


class Tape:
    def __init__(self, sample_rate_hz: int) -> None:
        self._buffer = ResendBuffer(sample_rate_hz)
        self._marks = HeardMarks()
        self._sent = 0
        """Offset up to which this connection has the audio."""
        self._origin = 0
        """Offset of the connection's audio clock zero."""

    # -- the input ----------------------------------------------------------------------

    def append(self, pcm: bytes) -> None:
        self._buffer.append(pcm)

    @property
    def end_ms(self) -> int:
        return self._buffer.end_ms

    @property
    def start_ms(self) -> int:
        """The oldest input kept."""
        return self._buffer.start_ms

    def keep_from(self, ms: int) -> None:
        """Forget the input before ``ms`` (in steps)."""
        self._buffer.trim(self._buffer.offset(ms))

    def read(self, start_ms: int, end_ms: int) -> bytes:
        """The kept input between two times (clamped to what is kept)."""
        a, b = self._buffer.offset(start_ms), self._buffer.offset(end_ms)
        return self._buffer.read(a, max(0, b - a))

    # -- this connection ------------------------------------------------------------------

    def restart(self, resume_ms: int) -> None:
        """A new connection: its audio starts at ``resume_ms``, and nothing of it is heard."""
        self._sent = self._origin = self._buffer.offset(resume_ms)
        self._marks.clear()

    @property
    def sent_ms(self) -> int:
        return self._buffer.ms(self._sent)

    @property
    def unsent_ms(self) -> int:
        return self.end_ms - self._buffer.ms(max(self._sent, self._buffer.start))

    @property
    def all_sent(self) -> bool:
        return self._sent >= self._buffer.end

    def input_ms(self, audio_ms: int) -> int:
        """The input time of the connection's audio clock reading ``audio_ms``."""
        return self._buffer.ms(self._origin) + audio_ms

    def send(self, upto_ms: int | None, now_s: float) -> bytes:
        """The next audio to send, up to ``upto_ms`` (None: all there is)."""
        if self._sent < self._buffer.start:
            # Trimmed before this connection had it (the backlog was full): the service's
            # clock skips it, and so does the mapping onto the input timeline.
            self._origin += self._buffer.start - self._sent
            self._sent = self._buffer.start
        bound = self._buffer.end if upto_ms is None else max(self._sent, self._buffer.offset(upto_ms))
        piece = self._buffer.read(self._sent, bound - self._sent)
        self._sent += len(piece)
        if piece:
            self._marks.sent(now_s, self._sent)
        return piece

    # -- what the service has heard ---------------------------------------------------------

    def heard_ms(self) -> int:
        """Input the service has surely heard (``HeardMarks.heard``)."""
        return self._buffer.ms(self._marks.heard(self._origin))

    def settled_ms(self, now_s: float, most_s: float) -> int:
        """Input in which the service would by now have announced a turn (``HeardMarks.settled``)."""
        return self._buffer.ms(self._marks.settled(self._origin, now_s, most_s))

    def event(self, now_s: float) -> None:
        self._marks.event(now_s)

    def asked(self, now_s: float) -> None:
        """A request the service answers in order went out after all the audio sent so far."""
        self._marks.asked(now_s, self._sent)

    def answered(self, now_s: float) -> None:
        self._marks.answered(now_s)

    def round_trip(self, seconds: float) -> None:
        self._marks.round_trip(seconds)
