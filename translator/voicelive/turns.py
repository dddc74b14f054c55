"""One direction's turn taking with Voice Live, without I/O (sans-I/O core of a session).

A ``Turns`` is told what the input did (``push``, ``end_input``), what the arbiter
decided (``decide``) and what the service answered (``on``), and says what to send
next (``outgoing``). It emits internal events for everything a listener should see.
The session (``session.py``) only moves these messages over a connection.

Two kinds share this response side (one response at a time, in utterance order;
a failed one is retried, at most three times; finished items are removed):

* ``ClientTurns`` (``turns_client.py``): this machine cuts the utterances and
  commits each one (manual turns);
* ``ServerTurns`` (``turns_server.py``): the service's turn detection cuts them.
"""

from __future__ import annotations

import base64
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
from translator.voicelive.ledger import Ledger, Stage, Utt
from translator.voicelive.protocol import (
    OUTPUT_RATE_HZ,
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
MAX_APPEND_BYTES = 48_000
"""1 s of 24 kHz pcm16 per ``input_audio_buffer.append``."""


def append_events(pcm: bytes) -> list[dict[str, Any]]:
    """``pcm`` as ``input_audio_buffer.append`` events of at most ``MAX_APPEND_BYTES`` each."""
    return [
        {
            "type": "input_audio_buffer.append",
            "audio": base64.b64encode(pcm[i : i + MAX_APPEND_BYTES]).decode(),
        }
        for i in range(0, len(pcm), MAX_APPEND_BYTES)
    ]


@dataclass
class TurnStats:
    utterances: int = 0
    reconnects: int = 0
    renewals: int = 0
    retries: int = 0
    errors: int = 0
    latencies: list[Latency] = field(default_factory=list)


class Turns:
    """The shared part: decisions, responses, errors. Subclasses own the input side."""

    def __init__(
        self, direction: Direction, emit: Callable[[TranslatorEvent], None], arbiter: Arbiter
    ) -> None:
        self.direction = direction
        self.key = direction.key
        self._emit = emit
        self._arbiter = arbiter
        self.ledger = Ledger(24_000)
        self.stats = TurnStats()
        self.input_done = False
        self.expiring = False
        """The service said ``session_expired``: the coming close is expected."""
        self.hold_until = 0.0
        """No ``response.create`` before this monotonic time (throttled)."""
        self._outbox: list[dict[str, Any]] = []
        self._connection = 0
        self._ended = 0
        self._log = log.bind(direction=self.key)

    # -- the input side (subclasses) ------------------------------------------------------

    def push(self, item: Segment | Unsegmented, wall_s: float) -> None:
        raise NotImplementedError

    def outgoing(self, now_s: float) -> list[dict[str, Any]]:
        """Every client event due now, in order."""
        raise NotImplementedError

    def new_connection(self, number: int) -> None:
        """Nothing of the unfinished utterances is on the service any more."""
        self._connection = number
        self._outbox.clear()
        self.expiring = False

    def backlog_ms(self) -> int:
        """Input audio not yet translated (fast mode waits while this is long)."""
        return self.ledger.waiting_ms()

    def _on_input(self, wire: WireEvent) -> None:
        """A service event about the input side (commits, speech, failed transcriptions)."""

    def _after_failed_response(self, u: Utt) -> None:
        """``u``'s response failed and will be created again."""

    def _retire(self, u: Utt) -> None:
        """``u`` was translated: its items may leave the conversation."""

    def _span(self, u: Utt) -> tuple[int, int] | None:
        """Where ``u`` lies on the input, for the arbiter to match sessions' turns by time
        (None: every session has the same utterances, matched by id)."""
        return None

    def end_input(self) -> None:
        self.input_done = True

    def decide(self, utterance: str, translate: bool, source_text: str) -> None:
        """The arbiter's word: does this direction translate ``utterance``?"""
        u = self.ledger.utts.get(utterance)
        if u is None or u.terminal or u.translate is not None:
            return
        u.translate = translate
        if translate:
            u.transcript = u.transcript or source_text
            src, tgt = self.direction.source, self.direction.target
            self._emit(
                SourceFinal(self.key, u.id, src, tgt, u.start_ms, u.end_ms or u.start_ms, u.transcript)
            )
        elif u.item_id is not None:
            self._drop_items(u)
            self._end(u, Stage.SKIPPED)

    # -- state ----------------------------------------------------------------------------

    def finished(self) -> bool:
        return self.input_done and not self.ledger.live()

    def progress(self) -> int:
        """Utterances that reached an end (translated, skipped or dropped) so far."""
        return self._ended + self.ledger.dropped_utterances

    def waiting_for_service(self) -> bool:
        return any(u.stage in (Stage.COMMITTED, Stage.RESPONDING) for u in self.ledger.utts.values())

    def quiet(self) -> bool:
        """Nothing sent is unanswered: a good moment to change connections."""
        return self.ledger.idle() and not self._outbox

    # -- what to send ---------------------------------------------------------------------

    def _response_due(self, now_s: float) -> Utt | None:
        """The utterance whose response may be created now (one at a time, in order)."""
        if self.ledger.responding() is not None or now_s < self.hold_until:
            return None
        u = self.ledger.next_to_translate()
        if u is not None:
            u.stage = Stage.RESPONDING
            u.response_attempts += 1
        return u

    def _delete(self, item_id: str) -> None:
        self._outbox.append({"type": "conversation.item.delete", "item_id": item_id})

    def _drop_items(self, u: Utt) -> None:
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

    def absorb(self, event: Any) -> None:
        """Take one SDK event as the receive loop does."""
        wire = self.interpret(event)
        if wire is not None:
            self.on(wire)

    def on(self, wire: WireEvent) -> None:  # noqa: C901 - one flat match over the wire vocabulary
        match wire:
            case Transcribed(item_id=item, text=text, locale=locale):
                u = self.ledger.by_item(item)
                if u is None or u.terminal:
                    return
                u.stage = Stage.TRANSCRIBED
                if u.translate is None:
                    u.transcript = text
                    self._arbiter.report(self.key, u.id, text, locale, self._span(u))
                elif u.translate is False:
                    self._drop_items(u)
                    self._end(u, Stage.SKIPPED)
            case ResponseStarted(response_id=rid):
                u = self.ledger.responding()
                if u is not None and u.response_id is None:
                    u.response_id = rid
                    u.response_created = True
            case OutputItem(response_id=rid, item_id=item):
                if (u := self.ledger.by_response(rid)) is not None:
                    u.assistant_item = item
            case TextDelta(response_id=rid, delta=delta):
                if (u := self.ledger.by_response(rid)) is not None and delta:
                    u.text_parts.append(delta)
                    self._emit(TranslationPartial(self.key, u.id, "".join(u.text_parts)))
            case AudioDelta(response_id=rid, pcm=pcm):
                if (u := self.ledger.by_response(rid)) is not None and pcm:
                    if u.first_audio_wall_s is None:
                        u.first_audio_wall_s = time.monotonic()
                    self._emit(TranslationAudio(self.key, u.id, pcm, OUTPUT_RATE_HZ, at_ms=u.end_ms))
            case TextDone(response_id=rid, text=text):
                if (u := self.ledger.by_response(rid)) is not None:
                    u.text_done = text
            case ResponseEnded(response_id=rid, status=status, reason=reason):
                self._response_ended(rid, status, reason)
            case ServerError():
                self._server_error(wire)
            case _:
                self._on_input(wire)

    def _end(self, u: Utt, stage: Stage, reason: str = "") -> None:
        if not u.terminal:
            self._ended += 1
            if stage is Stage.SKIPPED:
                self._emit(UtteranceSkipped(self.key, u.id, reason or "not translated here"))
        u.stage = stage

    def _response_ended(self, rid: str, status: str, reason: str | None) -> None:
        u = self.ledger.by_response(rid)
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
        self._reset_response(u)
        self._after_failed_response(u)

    @staticmethod
    def _reset_response(u: Utt) -> None:
        u.stage = Stage.TRANSCRIBED
        u.response_id = u.assistant_item = None
        u.response_created = False
        u.text_parts.clear()
        u.text_done = None

    def _finish(self, u: Utt) -> None:
        now = time.monotonic()
        text = (u.text_done if u.text_done is not None else "".join(u.text_parts)).strip()
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
        source = err.client_event_id or ""
        if self._answers_own_event(source):
            return
        if err.code == "session_expired":
            self.expiring = True
            self._log.info("session_expired", message=err.message)
            return
        if err.code in ("rate_limit_exceeded", "conversation_already_has_active_response"):
            delay = 2.0 if err.code == "rate_limit_exceeded" else 0.5
            self.hold_until = time.monotonic() + delay  # the session's watchdog wakes the sender then
            u = self.ledger.responding()
            if u is not None and source.startswith("resp-") and u.response_id is None:
                self._reset_response(u)
            self._log.warning("throttled", code=err.code, retry_in_s=delay, client_event=source or None)
            return
        self._log.warning(
            "server_error",
            code=err.code,
            kind=err.kind,
            message=clip(err.message, 200),
            client_event=source or None,
        )

    def _answers_own_event(self, client_event_id: str) -> bool:
        """An error that answers an event of the subclass's own; True when handled."""
        return False


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 1)
