"""Long turns under the service's turn detection: when the client ends one itself (pure).

The service closes a turn only at its own pause, so continuous speech could make one
turn of a minute. When a turn's speech has run ``max_segment_ms`` and the client's
detector hears a gap between words (or ``_CUT_GRACE_MS`` later in any case), the
client commits the buffer itself. The SDK documents this: a manual commit "during VAD
activation" is allowed, and the item id of ``speech_started`` then need not be the one
``speech_stopped`` gives [SRC ``ServerEventInputAudioBufferSpeechStarted``]. Which id the
commit gets is not documented, so ``ServerTurns`` takes either: the commit's answer is
the committed item whose id is the cut turn's or unknown. The speech goes on as a new
utterance that starts at the cut (the *continuation*), and takes the next unknown id the
service gives (``speech_started``, ``speech_stopped`` or ``committed``).

The input is never sent further than ``max_segment_ms`` + the grace past the start of
the open turn, so a cut never lands later than that however far ahead the input is
(``--fast``). Once the input is held at that bound for ``_HOLD_S``, the service had its
chance to end the turn and did not: the client cuts there. Talk the service never
announced as a turn is bounded the same way.

With no turn open, the input is never sent further than that past the point where a
turn could have begun unannounced: the audio whose turns the service would have
announced by now (``HeardMarks.settled``). Its announcements trail the audio by a round
trip, and ``--fast`` input can outrun them by a minute: before this bound, a 200 ms
round trip let 15 s go out before the service said a turn had begun there, and a cut
then came too late (a 73 s utterance at 2 s; the emulator's ``event_latency`` fault).

The client's detector is read where the input is being sent, not where it has got to:
``TalkTrack`` keeps what it said along the input not yet sent.

``LongTurns`` holds this policy's state; ``ServerTurns`` owns the utterances and the
wire, and asks it when to cut and how far the input may go.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from structlog.typing import FilteringBoundLogger

    from translator.voicelive.utterances import Utterance

_CUT_GRACE_MS = 700
"""Past ``max_segment_ms``, how long a long turn waits for a gap between words."""
_HOLD_S = 1.5
"""How long the input is held at a long turn's bound before the client cuts it there."""
_CUT_ANSWER_S = 10.0
"""A cut's commit unanswered this long is given up (the input flows again)."""
_TALK_TOLERANCE_MS = 500
"""How much later than the service's turn start the client's detector may hear the talk begin."""


class TalkTrack:
    """What the client's detector said along the input: at the end of each piece, its pause
    and the talk since a real pause. Read at the point being sent; kept from the oldest
    point a new connection may send again."""

    def __init__(self) -> None:
        self._ends: list[int] = []
        self._said: list[tuple[int, int]] = []  # (pause_ms, talk_ms)
        self._first = 0

    def add(self, end_ms: int, pause_ms: int, talk_ms: int) -> None:
        self._ends.append(end_ms)
        self._said.append((pause_ms, talk_ms))

    def at(self, ms: int) -> tuple[int, int, int] | None:
        """``(end_ms, pause_ms, talk_ms)`` of the last piece that ends at or before ``ms``."""
        i = bisect_right(self._ends, ms, lo=self._first) - 1
        if i < self._first:
            return None
        return (self._ends[i], *self._said[i])

    def forget_before(self, ms: int) -> None:
        """Keep the last piece before ``ms`` and everything after it."""
        self._first = max(self._first, bisect_right(self._ends, ms, lo=self._first) - 1)
        if self._first > 4096:
            del self._ends[: self._first], self._said[: self._first]
            self._first = 0


@dataclass(frozen=True, slots=True)
class PendingCut:
    """A commit the client sent to end a long turn, not answered yet."""

    turn: Utterance | None
    """The open turn it ends; None for talk the service never announced."""
    cut_ms: int
    """Input time of the cut: the end of the audio sent with it."""
    start_ms: int
    """Input time where the speech it ends began."""
    sent_s: float


class LongTurns:
    def __init__(self, limit_ms: int | None, log: FilteringBoundLogger) -> None:
        self.limit_ms = limit_ms
        """``max_segment_ms``; None: turns are never cut by the client."""
        self.pending: PendingCut | None = None
        self.continuation: Utterance | None = None
        """The speech after a cut, until the service gives it an item id."""
        self.refused: set[str] = set()
        """Utterances whose cut the service refused: not tried again."""
        self._talk_ms = 0
        """Talk without a real pause, by the client's detector, where the input is being sent."""
        self._pause_ms = 0
        self._heard_at_ms = 0  # where the detector's latest word before the send point was said
        self.track = TalkTrack()
        self._held_since: float | None = None
        self._held_at = 0
        self._log = log

    def reset(self) -> None:
        """A new connection: nothing is pending, and the input flows."""
        self.pending = self.continuation = self._held_since = None

    def listen(self, end_ms: int, pause_ms: int, talk_ms: int) -> None:
        """The client's detector at ``end_ms`` of the input: its pause, and talk since a real pause."""
        self.track.add(end_ms, pause_ms, talk_ms)

    def sending(self, sent_ms: int) -> None:
        """The input is sent up to ``sent_ms``: read the detector there."""
        said = self.track.at(sent_ms)
        self._heard_at_ms, self._pause_ms, self._talk_ms = said if said is not None else (0, 0, 0)

    @property
    def talk_start_ms(self) -> int | None:
        """Where the talk at the send point began (None: in a real pause)."""
        return self._heard_at_ms - self._talk_ms if self._talk_ms > 0 else None

    # -- holding the input ------------------------------------------------------------------

    @property
    def reach_ms(self) -> int:
        """How far past the start of the speech a cut may land (0: turns are never cut)."""
        return 0 if self.limit_ms is None else self.limit_ms + _CUT_GRACE_MS

    def bound_ms(self, open_start_ms: int | None) -> int | None:
        """How far the input may be sent: ``max_segment_ms`` + the grace past the start of
        the speech still open (or past the cut being answered); None: no bound."""
        if self.limit_ms is None:
            return None
        start_ms = self.pending.cut_ms if self.pending is not None else open_start_ms
        return None if start_ms is None else start_ms + self.reach_ms

    def hold(self, held: bool, now_s: float, at: int) -> None:
        """Whether the input is held at the bound ``at`` now. A hold at another bound starts
        anew: the wait for settling, or at another turn's bound, is no chance for this one."""
        if not held:
            self._held_since = None
        elif self._held_since is None or at != self._held_at:
            self._held_since, self._held_at = now_s, at

    def held_long(self, now_s: float) -> bool:
        return self._held_since is not None and now_s - self._held_since >= _HOLD_S

    # -- cutting ------------------------------------------------------------------------------

    def due(self, turn: Utterance | None, start_ms: int, *, sent_ms: int, now_s: float) -> bool:
        """Whether to cut the speech that began at ``start_ms`` (the open ``turn``, or talk
        the service has not announced) now that the input is sent up to ``sent_ms``."""
        if self.limit_ms is None or self.pending is not None:
            return False
        speech_ms = sent_ms - start_ms
        if turn is None:  # talk the service has not announced as a turn: cut only at the bound
            if self._talk_ms > 0 and self.held_long(now_s):
                self._log.info("long_talk_cut", speech_ms=speech_ms, announced=False)
                return True
            return False
        # In fast mode the service may be behind what was sent: the turn is long only if the
        # client's detector heard no real pause since it began (else the service is about to
        # end it, and a commit now would take the next speech with it).
        talk = self.talk_start_ms
        talked = talk is not None and talk <= turn.start_ms + _TALK_TOLERANCE_MS
        at_pause = self._pause_ms > 0 and self._held_since is None  # at the send point, not at a hold
        if talked and (
            speech_ms >= self.limit_ms + _CUT_GRACE_MS or (speech_ms >= self.limit_ms and at_pause)
        ):
            self._log.info("long_turn_cut", utterance=turn.id, speech_ms=speech_ms, at_pause=at_pause)
            return True
        if self.held_long(now_s):
            self._log.info("long_turn_cut", utterance=turn.id, speech_ms=speech_ms, at_pause=False, held=True)
            return True
        return False

    def sent(self, turn: Utterance | None, cut_ms: int, start_ms: int, now_s: float) -> None:
        self.pending = PendingCut(turn, cut_ms, start_ms, now_s)

    def stale(self, now_s: float) -> bool:
        return self.pending is not None and now_s - self.pending.sent_s > _CUT_ANSWER_S

    def expire(self, now_s: float) -> None:
        """A cut unanswered for too long is given up: never wait for ever, the input flows again."""
        if self.pending is not None and self.stale(now_s):
            self._log.warning("cut_unanswered", waited_s=round(now_s - self.pending.sent_s, 1))
            self.pending = None

    def answered(self) -> PendingCut:
        """The service committed the cut."""
        assert self.pending is not None
        cut, self.pending = self.pending, None
        return cut

    def refuse(self) -> None:
        """The service refused the cut: its own detector ends that turn."""
        if self.pending is not None and self.pending.turn is not None:
            self.refused.add(self.pending.turn.id)
        self.pending = None

    def adopt(self, item: str) -> Utterance | None:
        """The speech after a cut takes the first item id the service gives it."""
        c, self.continuation = self.continuation, None
        if c is None or c.terminal or c.item_id is not None:
            return None
        c.item_id = item
        return c
