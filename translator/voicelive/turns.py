"""One direction's turn taking with Voice Live, without I/O (sans-I/O core of a session).

A ``TurnTaking`` (one direction's turn-taking state machine) is told what the input
did (``push``, ``end_input``), what the arbiter decided (``decide``), what the service
answered (``on``) and that time passed (``tick``), and says what to send next
(``outgoing``). It emits internal events for everything a listener should see.
The session (``session.py``) only moves these messages over a connection.

Two kinds share this response side (one response at a time, in utterance order;
a failed one is retried, at most three times; finished items are removed):

* ``ClientTurns`` (``turns_client.py``): this machine cuts the utterances and
  commits each one (manual turns);
* ``ServerTurns`` (``turns_server.py``): the service's turn detection cuts them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from translator.events import (
    Latency,
    Notice,
    SourceFinal,
    TranslationAudio,
    TranslationFinal,
    TranslationPartial,
    TranslatorEvent,
    UtteranceSkipped,
)
from translator.listen.arbiter import Arbiter
from translator.listen.segmenter import Segment, Unsegmented
from translator.logs import clip
from translator.profile.model import Direction
from translator.voicelive.utterances import Decision, Stage, Utterance, UtteranceTable
from translator.voicelive.wire import INPUT_RATE_HZ, OUTPUT_RATE_HZ
from translator.voicelive.wire import outbound as wire
from translator.voicelive.wire.inbound import (
    AudioDelta,
    OutputItem,
    ResponseEnded,
    ResponseStarted,
    ServerError,
    TextDelta,
    TextDone,
    Transcribed,
    WireEvent,
    parse,
)

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 3


@dataclass
class TurnStats:
    utterances: int = 0
    reconnects: int = 0
    renewals: int = 0
    retries: int = 0
    errors: int = 0
    untranscribed: int = 0
    """Utterances the service could not transcribe (translated from their audio)."""
    latencies: list[Latency] = field(default_factory=list)


class TurnTaking:
    """The shared part: decisions, responses, errors. Subclasses own the input side."""

    def __init__(
        self, direction: Direction, emit: Callable[[TranslatorEvent], None], arbiter: Arbiter
    ) -> None:
        self.direction = direction
        self.key = direction.key
        self._emit = emit
        self._arbiter = arbiter
        self.utterances = UtteranceTable(INPUT_RATE_HZ)
        self.stats = TurnStats()
        self.input_done = False
        self.expiring = False
        """The service said ``session_expired``: the coming close is expected."""
        self._hold_until: float | None = None
        """No ``response.create`` before this monotonic time (throttled)."""
        self._outbox: list[wire.ClientEvent] = []
        self._connection = 0
        self._ended = 0
        self._log = log.bind(direction=self.key)

    # -- the input side (subclasses) ------------------------------------------------------

    def push(self, item: Segment | Unsegmented, wall_s: float) -> None:
        raise NotImplementedError

    def outgoing(self, now_s: float) -> list[wire.ClientEvent]:
        """Every client event due now, in order."""
        raise NotImplementedError

    def new_connection(self, number: int) -> None:
        """Nothing of the unfinished utterances is on the service any more."""
        self._connection = number
        self._outbox.clear()
        self.expiring = False

    def round_trip(self, seconds: float) -> None:
        """A measured request-to-answer time of the connection (its configuration)."""

    def backlog_ms(self) -> int:
        """Input audio not yet translated (fast mode waits while this is long)."""
        return self.utterances.waiting_ms()

    def _on_input(self, wire: WireEvent) -> None:
        """A service event about the input side (commits, speech, failed transcriptions)."""

    def _after_failed_response(self, u: Utterance) -> None:
        """``u``'s response failed and will be created again."""

    def _retire(self, u: Utterance) -> None:
        """``u`` was translated: its items may leave the conversation."""

    def _span(self, u: Utterance) -> tuple[int, int] | None:
        """Where ``u`` lies on the input, for the arbiter to match sessions' turns by time
        (None: every session has the same utterances, matched by id)."""
        return None

    def end_input(self) -> None:
        self.input_done = True

    def decide(self, utterance: str, translate: bool, source_text: str) -> None:
        """The arbiter's word: does this direction translate ``utterance``?"""
        u = self.utterances.utts.get(utterance)
        if u is None or u.terminal or u.decision is not Decision.PENDING:
            return
        u.decision = Decision.TRANSLATE if translate else Decision.SKIP
        if translate:
            u.transcript = u.transcript or source_text or None
            if u.transcript:
                src, tgt = self.direction.source, self.direction.target
                self._emit(
                    SourceFinal(self.key, u.id, src, tgt, u.start_ms, u.end_ms or u.start_ms, u.transcript)
                )
        elif u.item_id is not None:
            self._drop_items(u)
            self._end(u, Stage.SKIPPED)

    # -- state ----------------------------------------------------------------------------

    def tick(self, now_s: float) -> bool:
        """The clock moved on; True when something became due (a throttling hold ended)."""
        if self._hold_until is not None and now_s >= self._hold_until:
            self._hold_until = None
            return True
        return False

    def finished(self) -> bool:
        return self.input_done and not self.utterances.live()

    def progress(self) -> int:
        """Utterances that reached an end (translated, skipped or dropped) so far."""
        return self._ended + self.utterances.dropped_utterances

    def waiting_for_service(self) -> bool:
        return any(u.stage in (Stage.COMMITTED, Stage.RESPONDING) for u in self.utterances.utts.values())

    def quiet(self) -> bool:
        """Nothing sent is unanswered: a good moment to change connections."""
        return self.utterances.idle() and not self._outbox

    # -- what to send ---------------------------------------------------------------------

    def _response_due(self, now_s: float) -> Utterance | None:
        """The utterance whose response may be created now (one at a time, in order)."""
        if self.utterances.responding() is not None or self._hold_until is not None:
            return None
        u = self.utterances.next_to_translate()
        if u is not None:
            u.stage = Stage.RESPONDING
            u.response_attempts += 1
        return u

    def _delete(self, item_id: str) -> None:
        self._outbox.append(wire.delete_item(item_id))

    def _drop_items(self, u: Utterance) -> None:
        """Take ``u``'s user and assistant items out of the conversation."""
        for item in (u.item_id, u.assistant_item):
            if item is not None:
                self._delete(item)
        u.item_id = u.assistant_item = None

    # -- what the service said --------------------------------------------------------------

    def interpret(self, event: Any) -> WireEvent | None:
        """SDK event → wire event; malformed or unknown events are logged, never raised."""
        try:
            wire = parse(event)
        except (AttributeError, KeyError, TypeError, ValueError) as e:
            kind = clip(str(getattr(event, "type", "?")), 60)
            error = clip(f"{e.__class__.__name__}: {e}", 120)
            self._log.warning("malformed_server_event", type=kind, error=error)
            return None
        if wire is None:
            self._log.debug("unknown_server_event", type=str(getattr(event, "type", "?"))[:60])
        return wire

    def on(self, wire: WireEvent) -> None:  # noqa: C901 - one flat match over the wire vocabulary
        match wire:
            case Transcribed(item_id=item, text=text, locale=locale):
                u = self.utterances.by_item(item)
                if u is None or u.terminal:
                    return
                u.stage = Stage.TRANSCRIBED
                if u.decision is Decision.PENDING:
                    u.transcript = text
                    self._arbiter.report(self.key, u.id, text, locale, self._span(u))
                elif u.decision is Decision.SKIP:
                    self._drop_items(u)
                    self._end(u, Stage.SKIPPED)
            case ResponseStarted(response_id=rid):
                u = self.utterances.responding()
                if u is not None and u.response_id is None:
                    u.response_id = rid
            case OutputItem(response_id=rid, item_id=item):
                if (u := self.utterances.by_response(rid)) is not None:
                    u.assistant_item = item
            case TextDelta(response_id=rid, delta=delta):
                if (u := self.utterances.by_response(rid)) is not None and delta:
                    u.text_parts.append(delta)
                    self._emit(TranslationPartial(self.key, u.id, "".join(u.text_parts)))
            case AudioDelta(response_id=rid, pcm=pcm):
                if (u := self.utterances.by_response(rid)) is not None and pcm:
                    if u.first_audio_wall_s is None:
                        u.first_audio_wall_s = time.monotonic()
                    self._emit(TranslationAudio(self.key, u.id, pcm, OUTPUT_RATE_HZ, at_ms=u.end_ms))
            case TextDone(response_id=rid, text=text):
                if (u := self.utterances.by_response(rid)) is not None:
                    u.text_done = text
            case ResponseEnded(response_id=rid, status=status, reason=reason):
                self._response_ended(rid, status, reason)
            case ServerError():
                self._server_error(wire)
            case _:
                self._on_input(wire)

    def _untranscribed(self, u: Utterance, message: str) -> None:
        """The service could not transcribe ``u``. Its audio is on the service (or, for
        service turns, in the resend buffer), so it is still translated, from the audio; the
        direction comes from the other sessions' transcripts or the arbiter's rule."""
        if u.terminal or u.transcription_failed:
            return
        u.transcription_failed = True
        self.stats.untranscribed += 1
        self._log.warning("transcription_failed", utterance=u.id, reason=message, outcome="translate_audio")
        self._emit(
            Notice(
                self.key,
                "warning",
                f"utterance {u.id} could not be transcribed ({message}); translating it from the audio",
            )
        )
        u.stage = Stage.TRANSCRIBED
        if u.decision is Decision.PENDING:
            self._arbiter.report(self.key, u.id, "", None, self._span(u), failed=True)
        elif u.decision is Decision.SKIP:
            self._drop_items(u)
            self._end(u, Stage.SKIPPED)

    def _end(self, u: Utterance, stage: Stage, reason: str = "") -> None:
        if not u.terminal:
            self._ended += 1
            if stage is Stage.SKIPPED:
                self._emit(UtteranceSkipped(self.key, u.id, reason or "not translated here"))
        u.stage = stage

    def _response_ended(self, rid: str, status: str, reason: str | None) -> None:
        u = self.utterances.by_response(rid)
        if u is None:
            return
        if status == "completed":
            self._finish(u)
            return
        if u.assistant_item:
            self._delete(u.assistant_item)
            u.assistant_item = None
        self.stats.retries += 1
        if u.response_attempts >= MAX_ATTEMPTS:
            self._log.error("translation_gave_up", utterance=u.id, status=status, reason=reason)
            self._emit(Notice(self.key, "error", f"utterance {u.id}: translation {status} ({reason})"))
            self._drop_items(u)  # its user message must not be answered by the next response
            self._end(u, Stage.SKIPPED, f"translation {status}")
            return
        self._log.warning(
            "translation_retrying", utterance=u.id, status=status, reason=reason, attempt=u.response_attempts
        )
        u.reset_response()
        self._after_failed_response(u)

    def _finish(self, u: Utterance) -> None:
        now = time.monotonic()
        text = u.translation
        closed = u.closed_wall_s or now
        first = u.first_audio_wall_s
        latency = Latency(
            end_to_first_audio_ms=_ms(first - closed) if first else None,
            end_to_final_text_ms=_ms(now - closed),
            ear_voice_span_ms=_ms(first - u.start_wall_s) if first else None,
        )
        self._end(u, Stage.DONE)
        if text:
            self.stats.utterances += 1
            self.stats.latencies.append(latency)
            src, tgt = self.direction.source, self.direction.target
            end_ms = u.end_ms or u.start_ms
            self._emit(
                TranslationFinal(
                    self.key, u.id, src, tgt, u.start_ms, end_ms, text, u.transcript or "", latency
                )
            )
        else:
            self._emit(UtteranceSkipped(self.key, u.id, "empty translation"))
        self._retire(u)

    def _server_error(self, err: ServerError) -> None:
        self.stats.errors += 1
        source = wire.EventId.parse(err.client_event_id)
        if source is not None and self._answers_own_event(source):
            return
        if err.code == "session_expired":
            self.expiring = True
            self._log.info("session_expired", message=err.message)
            return
        if err.code in ("rate_limit_exceeded", "conversation_already_has_active_response"):
            delay = 2.0 if err.code == "rate_limit_exceeded" else 0.5
            self._hold_until = time.monotonic() + delay  # ``tick`` lifts the hold
            u = self.utterances.responding()
            refused = source is not None and source.purpose is wire.Purpose.RESPONSE
            if u is not None and refused and u.response_id is None:
                u.reset_response()  # its response.create was refused: created again after the hold
            self._log.warning("throttled", code=err.code, retry_in_s=delay, client_event=err.client_event_id)
            return
        self._log.warning(
            "server_error",
            code=err.code,
            kind=err.kind,
            message=clip(err.message, 200),
            client_event=err.client_event_id,
        )

    def _answers_own_event(self, source: wire.EventId) -> bool:
        """An error that answers an event of the subclass's own; True when handled."""
        return False


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 1)
