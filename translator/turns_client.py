"""One direction's turn taking with Voice Live, without I/O (sans-I/O core of a session).

``Turns`` is told what the input did (``push``, ``end_input``), what the arbiter
decided (``decide``) and what the service answered (``on``), and says what to send
next (``outgoing``). It emits internal events for everything a listener should see.
The session (``session.py``) only moves these messages over a connection.

Rules that keep exactly one translation per utterance, in order (see ``ledger.py``):
an utterance's audio is appended after the previous one was committed; it is
committed once the previous one is settled; one response at a time; a retried
response first withdraws later user items; a failed transcription sends the audio
again after clearing the input buffer.
"""

from __future__ import annotations

import base64
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from translator.arbiter import Arbiter
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
from translator.ledger import Ledger, Stage, Utt
from translator.profile import Direction
from translator.protocol import (
    OUTPUT_RATE_HZ,
    AudioDelta,
    Committed,
    OutputItem,
    ResponseEnded,
    ResponseStarted,
    ServerError,
    TextDelta,
    TextDone,
    Transcribed,
    TranscriptionFailed,
    WireEvent,
    parse,
)
from translator.segmenter import Segment, SegmentAudio, SegmentClose, SegmentOpen

log = structlog.get_logger(__name__)

_MAX_APPEND_BYTES = 48_000  # 1 s of 24 kHz pcm16 per append event
_MAX_ATTEMPTS = 3
_CONTEXT_ITEMS = 4  # the last two exchanges stay in the conversation as context


@dataclass
class TurnStats:
    utterances: int = 0
    reconnects: int = 0
    renewals: int = 0
    retries: int = 0
    errors: int = 0
    latencies: list[Latency] = field(default_factory=list)


class Turns:
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
        self._outbox: deque[dict[str, Any]] = deque()
        self._cursors: dict[str, tuple[int, int]] = {}  # utterance -> (chunk index, bytes before it)
        self._commits: deque[Utt] = deque()  # commits sent, answered in order
        self._context: deque[str] = deque()  # item ids of finished exchanges, oldest first
        self._connection = 0
        self._ended = 0
        self._log = log.bind(direction=self.key)

    # -- the input side -----------------------------------------------------------------

    def push(self, seg: Segment, wall_s: float) -> None:
        match seg:
            case SegmentOpen(utterance=u, start_ms=start):
                self.ledger.open(u, start, wall_s)
            case SegmentAudio(utterance=u, pcm=pcm):
                for dropped in self.ledger.audio(u, pcm):
                    ms = self.ledger.ms_of(dropped.total_bytes)
                    self._log.warning(
                        "audio_dropped",
                        utterance=dropped.id,
                        dropped_ms=ms,
                        total_dropped_ms=self.ledger.dropped_ms,
                    )
                    self._emit(Notice(self.key, "audio_dropped", f"dropped {ms} ms of unsent audio"))
                    self._emit(UtteranceSkipped(self.key, dropped.id, "dropped: the backlog was full"))
            case SegmentClose(utterance=u, end_ms=end):
                self.ledger.close(u, end, wall_s)

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
            self._delete(u.item_id)
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

    def new_connection(self, number: int) -> None:
        """Nothing of the unfinished utterances is on the service any more."""
        self._connection = number
        self.ledger.reset_connection()
        self._cursors.clear()
        self._commits.clear()
        self._context.clear()
        self._outbox.clear()
        self.expiring = False

    # -- what to send ---------------------------------------------------------------------

    def outgoing(self, now_s: float) -> list[dict[str, Any]]:
        """Every client event due now, in order."""
        out = list(self._outbox)
        self._outbox.clear()
        prev_settled = True
        for u in list(self.ledger.utts.values()):
            if u.terminal:
                continue
            if u.stage not in (Stage.OPEN, Stage.CLOSED):
                prev_settled = u.settled
                continue
            if u.translate is False:  # another direction translates it: never commit it here
                if u.sent_bytes:
                    out.append({"type": "input_audio_buffer.clear"})
                self._end(u, Stage.SKIPPED)
                continue
            out.extend(self._appends(u))
            if u.stage is not Stage.CLOSED or not prev_settled:
                break
            out.append({"type": "input_audio_buffer.commit", "event_id": f"commit-{u.id}-{self._connection}"})
            u.stage = Stage.COMMITTED
            self._commits.append(u)
            prev_settled = False
        if self.ledger.responding() is None and now_s >= self.hold_until:
            u_next = self.ledger.next_to_translate()
            if u_next is not None:
                u_next.stage = Stage.RESPONDING
                u_next.response_attempts += 1
                out.append(
                    {"type": "response.create", "event_id": f"resp-{u_next.id}-{u_next.response_attempts}"}
                )
        self.ledger.forget_finished()
        return out

    def _appends(self, u: Utt) -> list[dict[str, Any]]:
        # Resume at the first chunk not wholly sent: (chunk index, bytes before it) stays valid
        # while it does not pass sent_bytes; a rewind resets sent_bytes and so the cursor.
        index, before = self._cursors.get(u.id, (0, 0))
        if before > u.sent_bytes:
            index, before = 0, 0
        out: list[dict[str, Any]] = []
        while index < len(u.chunks):
            chunk = u.chunks[index]
            end = before + len(chunk)
            if end > u.sent_bytes:
                piece = chunk[u.sent_bytes - before :]
                for i in range(0, len(piece), _MAX_APPEND_BYTES):
                    part = piece[i : i + _MAX_APPEND_BYTES]
                    out.append(
                        {"type": "input_audio_buffer.append", "audio": base64.b64encode(part).decode("ascii")}
                    )
                    u.sent_bytes += len(part)
            index, before = index + 1, end
        self._cursors[u.id] = (index, before)
        if len(self._cursors) > 64:
            self._cursors = {k: v for k, v in self._cursors.items() if k in self.ledger.utts}
        return out

    def _delete(self, item_id: str) -> None:
        self._outbox.append({"type": "conversation.item.delete", "item_id": item_id})

    # -- what the service said --------------------------------------------------------------

    def interpret(self, event: Any) -> WireEvent | None:
        """SDK event → wire event; malformed or unknown events are logged, never raised."""
        try:
            wire = parse(event)
        except (AttributeError, KeyError, TypeError, ValueError) as e:
            kind = str(getattr(event, "type", "?"))[:60]
            self._log.warning("malformed_server_event", type=kind, error=f"{e.__class__.__name__}: {e}"[:120])
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
            case Committed(item_id=item):
                self._committed(item)
            case Transcribed(item_id=item, text=text, locale=locale):
                u = self.ledger.by_item(item)
                if u is None or u.terminal:
                    return
                u.stage = Stage.TRANSCRIBED
                if u.translate is None:
                    u.transcript = text
                    self._arbiter.report(u.id, self.direction.source, text, locale)
                elif u.translate is False:
                    self._delete(item)
                    self._end(u, Stage.SKIPPED)
            case TranscriptionFailed(item_id=item, message=message):
                self._transcription_failed(item, message)
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
                pass

    def _committed(self, item: str) -> None:
        u = self._commits.popleft() if self._commits else None
        if u is None:
            return
        if u.stage is not Stage.COMMITTED or u.translate is False:
            # rewound (or not ours to translate) while the commit was on its way
            self._delete(item)
            if u.translate is False:
                self._end(u, Stage.SKIPPED)
            return
        u.item_id = item

    def _end(self, u: Utt, stage: Stage, reason: str = "") -> None:
        if not u.terminal:
            self._ended += 1
            if stage is Stage.SKIPPED:
                self._emit(UtteranceSkipped(self.key, u.id, reason or "not translated here"))
        u.stage = stage

    def _transcription_failed(self, item: str, message: str) -> None:
        u = self.ledger.by_item(item)
        if u is None or u.terminal:
            return
        u.transcription_failures += 1
        self.stats.retries += 1
        self._delete(item)
        if u.transcription_failures >= _MAX_ATTEMPTS:
            self._log.error("transcription_gave_up", utterance=u.id, reason=message)
            self._emit(Notice(self.key, "error", f"utterance {u.id} could not be transcribed: {message}"))
            self._end(u, Stage.SKIPPED, "transcription failed")
            return
        self._log.warning(
            "transcription_failed_retrying", utterance=u.id, reason=message, attempt=u.transcription_failures
        )
        # Send the utterance again: clear the buffer (it may hold the next utterance's start).
        self._outbox.append({"type": "input_audio_buffer.clear"})
        self.ledger.rewind_from(u)

    def _response_ended(self, rid: str, status: str, reason: str | None) -> None:
        u = self.ledger.by_response(rid)
        if u is None:
            return
        if status == "completed":
            self._finish(u)
            return
        if u.assistant_item:
            self._delete(u.assistant_item)
        self.stats.retries += 1
        if u.response_attempts >= _MAX_ATTEMPTS:
            self._log.error("translation_gave_up", utterance=u.id, status=status, reason=reason)
            self._emit(Notice(self.key, "error", f"utterance {u.id}: translation {status} ({reason})"))
            self._end(u, Stage.SKIPPED, f"translation {status}")
            return
        self._log.warning(
            "translation_retrying", utterance=u.id, status=status, reason=reason, attempt=u.response_attempts
        )
        self._reset_response(u)
        self._withdraw_after(u)

    def _withdraw_after(self, u: Utt) -> None:
        """Take later utterances out of the conversation so the retried response sees ``u`` last.

        They were committed while ``u``'s first response ran; a model answers the newest
        user message, so they are deleted, the input buffer is cleared, and they are all
        sent again once ``u`` has its response.
        """
        utts = list(self.ledger.utts.values())
        live = [v for v in utts[utts.index(u) + 1 :] if not v.terminal]
        if not live:
            return
        for v in live:
            if v.item_id is not None:
                self._delete(v.item_id)
        self._outbox.append({"type": "input_audio_buffer.clear"})
        self.ledger.rewind_from(live[0])

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
        self._context.extend(i for i in (u.item_id, u.assistant_item) if i)
        while len(self._context) > _CONTEXT_ITEMS:
            self._delete(self._context.popleft())

    def _server_error(self, err: ServerError) -> None:
        self.stats.errors += 1
        source = err.client_event_id or ""
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
            message=err.message[:200],
            client_event=source or None,
        )


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 1)
