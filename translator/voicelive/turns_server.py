"""Turn taking when the service detects the turns (``server_vad``, ``azure_semantic_vad*``).

The input streams to the service as it comes. The service's turn detection says
where speech started and stopped, commits each turn by itself and transcribes it.
The session configuration switches ``create_response`` and ``interrupt_response``
off (``wire/configure.py``): nothing is ever cancelled, and the client creates
every response itself, one at a time and in utterance order.

Each response carries its own context (``context.py``): the last exchanges as text,
then the utterance. Each utterance's items are deleted once it is done.

Times: ``audio_start_ms``/``audio_end_ms`` count from the first byte appended on the
connection, and the tape (``tape.py``) maps them onto the input timeline. The start includes the
prefix padding and the end includes the silence that ended the turn. Both are taken
off, so subtitles line up with the speech.

Long turns: the service closes a turn only at its own pause. Past ``max_segment_ms``
the client ends the turn itself with a manual commit (``long_turns.py`` says when, and
how far the input may run ahead meanwhile). The commit's answer is the committed item
whose id is the cut turn's or unknown; the speech goes on as a new utterance from the cut.

End of input: a little silence, then one manual commit. Its answer comes after every
event about the audio before it, so once it arrives nothing more is to come. The
answer is the commit of an item the turn detection never announced, or an error if
the buffer was empty. Whatever speech it holds is an utterance like any other.

New connection: utterances that have a transcript keep it, since their responses
need only the text. From the oldest utterance without one, the audio is sent again
(``resend.py``) and its turns are heard anew; the old ones are withdrawn.

A failed transcription is translated from the audio: the response gets the
utterance's audio from the resend buffer as an ``input_audio`` message (or, in a pair, the text
another session heard).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable

from translator.events import Notice, SpeechStarted, TranslatorEvent, UtteranceSkipped
from translator.listen.arbiter import Arbiter
from translator.listen.clock import InputClock
from translator.listen.segmenter import Segment, Unsegmented
from translator.profile.model import Direction
from translator.profile.turns import TurnDetection
from translator.voicelive.context import Exchanges
from translator.voicelive.long_turns import LongTurns
from translator.voicelive.tape import Tape
from translator.voicelive.turns import TurnTaking
from translator.voicelive.utterances import Decision, Stage, Utterance
from translator.voicelive.wire import INPUT_RATE_HZ
from translator.voicelive.wire import outbound as wire
from translator.voicelive.wire.inbound import (
    Committed,
    ResponseStarted,
    ServerError,
    ServiceSpeechStarted,
    ServiceSpeechStopped,
    TranscriptionFailed,
    WireEvent,
)

_UNREPORTED_MS = 1_000
"""Speech can start this long before a heard point and not be reported yet."""
_MAX_RESEND_MS = 120_000
"""Input kept for resending; past it the oldest unheard utterance is dropped."""
_TAIL_MS = 300
"""Silence after the end of input, on top of ``silence_duration_ms``."""
_LIVE_MARGIN_S = 0.25
"""How far ahead of live input the send bound stays, however slow the round trip."""


class _Flush(enum.Enum):
    NONE = "none"
    SENT = "sent"
    DONE = "done"


class ServerTurns(TurnTaking):
    def __init__(
        self,
        direction: Direction,
        emit: Callable[[TranslatorEvent], None],
        arbiter: Arbiter,
        turn_detection: TurnDetection,
        *,
        id_prefix: str = "u",
    ) -> None:
        super().__init__(direction, emit, arbiter)
        self._tape = Tape(INPUT_RATE_HZ)
        self._padding_ms = turn_detection.prefix_padding_ms
        self._silence_ms = turn_detection.silence_duration_ms
        self._long = LongTurns(turn_detection.max_segment_ms, self._log)
        self._id_prefix = id_prefix
        self._count = 0
        self._boundary_ms = 0
        """Every turn before this input time is known."""
        self._flush = _Flush.NONE
        self._clock = InputClock()
        self._exchanges = Exchanges()
        self._hidden: set[str] = set()  # utterances nobody was told had started

    # -- the input side -----------------------------------------------------------------

    def push(self, item: Segment | Unsegmented, wall_s: float) -> None:
        if not isinstance(item, Unsegmented):
            raise TypeError("the service detects this session's turns: push raw audio")
        self._tape.append(item.pcm)
        self._long.listen(self._tape.end_ms, item.pause_ms, item.talk_ms)
        self._clock.advance(self._tape.end_ms, wall_s)
        self._bound()

    def _bound(self) -> None:
        """Keep the resend buffer from the resume point on, and at most ``_MAX_RESEND_MS``."""
        limit_ms = self._tape.end_ms - _MAX_RESEND_MS
        for u in self.utterances.live():
            if u.transcript is None and self._heard_from(u) < limit_ms:
                dropped_ms = (u.end_ms or self._tape.end_ms) - u.start_ms
                self._log.warning("audio_dropped", utterance=u.id, dropped_ms=dropped_ms)
                self._emit(Notice(self.key, "audio_dropped", f"dropped {dropped_ms} ms of unheard audio"))
                self._emit(UtteranceSkipped(self.key, u.id, "dropped: the backlog was full"))
                self._drop_items(u)
                self.utterances.drop(u, dropped_ms)
        self._tape.keep_from(max(min(self._resume_ms(), self._tape.sent_ms), limit_ms))
        self._long.track.forget_before(self._tape.start_ms)

    def _heard_from(self, u: Utterance) -> int:
        return u.heard_from_ms if u.heard_from_ms is not None else u.start_ms

    def _resume_ms(self) -> int:
        """Where a new connection starts: the oldest utterance without a transcript; else
        a little before the audio the service has surely heard (speech after that may not
        have been reported yet), but never inside a known turn."""
        for u in self.utterances.utts.values():
            if not u.terminal and u.transcript is None:
                return max(self._heard_from(u), self._tape.start_ms)
        return max(self._boundary_ms, self._tape.heard_ms() - _UNREPORTED_MS, self._tape.start_ms)

    def new_connection(self, number: int) -> None:
        super().new_connection(number)
        resume_ms = self._resume_ms()
        heard_again = False
        for u in list(self.utterances.utts.values()):
            if u.terminal:
                continue
            heard_again = heard_again or u.transcript is None
            if heard_again:
                # its turn is heard again from the resent audio, under a new id
                del self.utterances.utts[u.id]
                self._hidden.discard(u.id)
                self._emit(UtteranceSkipped(self.key, u.id, "heard again on the new connection"))
            else:
                u.reset_response()
                u.item_id = None
        self._tape.restart(resume_ms)
        self._flush = _Flush.NONE
        self._long.reset()

    def backlog_ms(self) -> int:
        """Input behind the oldest turn that is sure to be answered, or not sent yet (the
        send bound moves on by itself: with time, or with a cut). An open turn is not sure
        to be answered: it ends only with more input, so fast mode must never wait for it
        (it would wait for ever on a long run of speech)."""
        waiting = [u for u in self.utterances.live() if u.stage is not Stage.OPEN]
        return max(self._tape.unsent_ms, self._tape.end_ms - waiting[0].start_ms if waiting else 0)

    # -- state ----------------------------------------------------------------------------

    def finished(self) -> bool:
        return self.input_done and self._flush is _Flush.DONE and not self.utterances.live()

    def waiting_for_service(self) -> bool:
        return self._flush is _Flush.SENT or any(
            u.stage in (Stage.CLOSED, Stage.COMMITTED, Stage.RESPONDING)
            for u in self.utterances.utts.values()
        )

    def quiet(self) -> bool:
        return not self.utterances.live() and not self._outbox and self._flush is not _Flush.SENT

    # -- what to send ---------------------------------------------------------------------

    def outgoing(self, now_s: float) -> list[wire.ClientEvent]:
        out = self._outbox[:]
        self._outbox.clear()
        out.extend(self._appends(now_s))
        self._long.expire(now_s)
        sent_ms = self._tape.sent_ms
        self._long.sending(sent_ms)
        anchor = self._anchor(now_s) if self._long.pending is None else None
        if anchor is not None and self._long.due(*anchor, sent_ms=sent_ms, now_s=now_s):
            turn, start_ms = anchor
            self._long.sent(turn, sent_ms, start_ms, now_s)
            out.append(
                wire.commit(wire.EventId(wire.Purpose.CUT, self._connection, turn.id if turn else None))
            )
        # The end-of-input flush waits until all the input is out (a long turn may hold it).
        if (
            self.input_done
            and self._flush is _Flush.NONE
            and self._tape.all_sent
            and self._long.pending is None
        ):
            # Silence lets the turn detection close the last turn as it would live.
            silence = bytes((self._silence_ms + _TAIL_MS) * INPUT_RATE_HZ // 1000 * 2)
            out.extend(wire.append(silence))
            out.append(wire.commit(wire.EventId(wire.Purpose.FLUSH, self._connection)))
            self._flush = _Flush.SENT
        due = self._response_due(now_s)
        if due is not None:
            latest = wire.user_text(due.transcript) if due.transcript else self._audio_of(due)
            out.append(
                wire.create_response(
                    wire.EventId(wire.Purpose.RESPONSE, due.response_attempts, due.id),
                    self._exchanges.items(latest),
                )
            )
            self._tape.asked(now_s)  # its answer says the audio before it was heard
        self.utterances.forget_finished()
        self._hidden &= self.utterances.utts.keys()
        self._long.refused &= self.utterances.utts.keys()
        return out

    def tick(self, now_s: float) -> bool:
        """Also due: a long turn held long enough to cut, or a cut unanswered for too long
        (nothing else would wake the sender once a fast input has ended)."""
        due = super().tick(now_s)
        return due or self._long.held_long(now_s) or self._long.stale(now_s)

    def _open_turn(self) -> Utterance | None:
        """The turn the service has not ended yet, that a cut may end."""
        if self._long.limit_ms is None or self._flush is not _Flush.NONE:
            return None
        u = next(
            (v for v in self.utterances.live() if v.stage is Stage.OPEN and v.id not in self._hidden), None
        )
        return None if u is None or u.id in self._long.refused else u

    def _anchor(self, now_s: float) -> tuple[Utterance | None, int] | None:
        """Where the speech that a cut would end began: the open turn's start. Else the
        earliest point where a turn could have begun that the service has not announced:
        where the talk the client hears at the send point began, or a little before the
        audio in which the service would have announced one by now, whichever is earlier
        (never before the last known turn's end)."""
        if (u := self._open_turn()) is not None:
            return u, u.start_ms
        if self._long.limit_ms is None or self._flush is not _Flush.NONE:
            return None
        most_s = (self._long.reach_ms - _UNREPORTED_MS) / 1000 - _LIVE_MARGIN_S
        settled_ms = self._tape.settled_ms(now_s, most_s) - _UNREPORTED_MS
        talk_ms = self._long.talk_start_ms
        start_ms = settled_ms if talk_ms is None else min(settled_ms, talk_ms)
        return None, max(self._boundary_ms, start_ms)

    def _audio_of(self, u: Utterance) -> wire.ClientEvent:
        """``u``'s audio from the tape, for a response that cannot quote its transcript."""
        end_ms = u.end_ms + self._silence_ms if u.end_ms is not None else self._tape.end_ms
        return wire.user_audio(self._tape.read(self._heard_from(u), end_ms))

    def _appends(self, now_s: float) -> list[wire.ClientEvent]:
        """The input up to the bound (``LongTurns.bound_ms``)."""
        self._long.sending(self._tape.sent_ms)
        anchor = self._anchor(now_s) if self._long.pending is None else None
        bound_ms = self._long.bound_ms(anchor[1] if anchor is not None else None)
        at_ms = self._tape.end_ms if bound_ms is None else max(self._tape.sent_ms, bound_ms)
        self._long.hold(at_ms < self._tape.end_ms, now_s, at=at_ms)
        return wire.append(self._tape.send(bound_ms, now_s))

    # -- what the service said --------------------------------------------------------------

    def round_trip(self, seconds: float) -> None:
        self._tape.round_trip(seconds)

    def on(self, wire: WireEvent) -> None:
        now = time.monotonic()
        self._tape.event(now)
        if _answers_response(wire):
            self._tape.answered(now)
        super().on(wire)

    def _on_input(self, wire: WireEvent) -> None:
        match wire:
            case ServiceSpeechStarted(item_id=item, audio_ms=audio_ms):
                self._began(item, self._tape.input_ms(audio_ms))
            case ServiceSpeechStopped(item_id=item, audio_ms=audio_ms):
                self._ended_at(item, self._tape.input_ms(audio_ms))
            case Committed(item_id=item):
                self._committed(item)
            case TranscriptionFailed(item_id=item, message=message):
                u = self.utterances.by_item(item)
                if u is None or u.terminal:
                    return
                if u.id in self._hidden:  # resent audio of a kept turn, or the flush's silence
                    self._drop_items(u)
                    self._end(u, Stage.SKIPPED, "transcription failed")
                    return
                self._untranscribed(u, message)
            case _:
                pass

    def _new_utterance(self, item: str | None, heard_from_ms: int, start_ms: int) -> Utterance:
        self._count += 1
        u = self.utterances.open(f"{self._id_prefix}{self._count}", start_ms, self._clock.wall_at(start_ms))
        u.item_id = item
        u.heard_from_ms = heard_from_ms
        return u

    def _began(self, item: str, heard_from_ms: int) -> None:
        if self._long.adopt(item) is not None:
            return
        start_ms = heard_from_ms + self._padding_ms
        u = self._new_utterance(item, heard_from_ms, start_ms)
        kept = [v for v in self.utterances.live() if v.transcript is not None and v.end_ms is not None]
        if any(v.start_ms - self._padding_ms <= start_ms <= (v.end_ms or 0) for v in kept):
            # Resent audio of a turn whose transcript survived the reconnect.
            u.decision = Decision.SKIP
            self._hidden.add(u.id)
            return
        self._emit(SpeechStarted(self.key, u.id, start_ms))

    def _ended_at(self, item: str, end_ms: int) -> None:
        u = self.utterances.by_item(item) or self._long.adopt(item)
        if u is None or u.stage is not Stage.OPEN:
            return
        self._close(u, end_ms - self._silence_ms, end_ms)

    def _close(self, u: Utterance, speech_end_ms: int, turn_end_ms: int) -> None:
        u.end_ms = max(u.start_ms, speech_end_ms)
        # Latency counts from when the turn was decided (as for client turns), not from the
        # last word: the wait for silence is the detector's, the rest is the service's.
        u.closed_wall_s = self._clock.wall_at(turn_end_ms)
        u.stage = Stage.CLOSED
        self._boundary_ms = max(self._boundary_ms, turn_end_ms)

    def _committed(self, item: str) -> None:
        u = self.utterances.by_item(item)
        # The answer to a cut: an item of no known turn, or of a turn still open (the service
        # commits its own turns only after their speech_stopped, which closes them first).
        if self._long.pending is not None and (u is None or u.stage is Stage.OPEN):
            if u is None and self._long.pending.turn is None:
                self._cut_alone(item)
            else:
                self._split(item, u)
            return
        if u is None:
            u = self._unannounced(item)
        if u.stage is Stage.OPEN:
            end_ms = self._tape.sent_ms
            self._close(u, end_ms, end_ms)
        if u.stage is Stage.CLOSED:
            u.stage = Stage.COMMITTED

    def _split(self, item: str, announced: Utterance | None) -> None:
        """The answer to a cut: the turn so far is this item; the speech goes on as a new
        utterance from the cut. ``announced``: the open turn the item names, when the
        service announced it after the cut was sent (fast mode)."""
        cut = self._long.answered()
        u = announced or cut.turn
        assert u is not None
        u.item_id = item
        self._close(u, cut.cut_ms, cut.cut_ms)
        u.stage = Stage.COMMITTED
        c = self._new_utterance(None, cut.cut_ms, cut.cut_ms)
        self._long.continuation = c
        self._emit(SpeechStarted(self.key, c.id, cut.cut_ms))

    def _cut_alone(self, item: str) -> None:
        """The answer to a cut of talk the service never announced: an utterance of its own."""
        cut = self._long.answered()
        u = self._new_utterance(item, cut.start_ms, cut.start_ms)
        self._emit(SpeechStarted(self.key, u.id, cut.start_ms))
        self._close(u, cut.cut_ms, cut.cut_ms)
        u.stage = Stage.COMMITTED

    def _unannounced(self, item: str) -> Utterance:
        """A commit of an item the turn detection never announced: the answer to our
        flush at the end of input (or a commit of the service's own)."""
        if self._flush is _Flush.SENT:
            self._flush = _Flush.DONE
        speaking = next((u for u in self.utterances.live() if u.stage is Stage.OPEN), None)
        if speaking is not None:
            speaking.item_id = item
            if speaking is self._long.continuation:
                self._long.continuation = None
            return speaking
        u = self._new_utterance(item, self._boundary_ms, self._boundary_ms)
        self._hidden.add(u.id)
        return u

    def _answers_own_event(self, source: wire.EventId) -> bool:
        if source.purpose is wire.Purpose.FLUSH and self._flush is _Flush.SENT:
            self._flush = _Flush.DONE  # nothing was left in the buffer
            return True
        if source.purpose is wire.Purpose.CUT and self._long.pending is not None:
            self._long.refuse()
            return True
        return False

    def _span(self, u: Utterance) -> tuple[int, int] | None:
        return (u.start_ms, u.end_ms if u.end_ms is not None else u.start_ms)

    def _retire(self, u: Utterance) -> None:
        self._exchanges.record(u.transcript, u.translation)
        self._drop_items(u)
        self._hidden.discard(u.id)


def _answers_response(event: WireEvent) -> bool:
    """The answer to a ``response.create``: the response, or an error that refuses it."""
    if isinstance(event, ResponseStarted):
        return True
    if not isinstance(event, ServerError):
        return False
    source = wire.EventId.parse(event.client_event_id)
    return source is not None and source.purpose is wire.Purpose.RESPONSE
