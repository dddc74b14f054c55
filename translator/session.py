"""One translation direction: a Voice Live connection under supervision.

``Session.run()`` loops: connect → wait for ``session.created`` → send the
configuration → wait for ``session.updated`` → run the send loop, the receive loop
and a stall watchdog until the input is done and every utterance is translated, or
the connection drops. Any drop (a close with any code, a TCP abort, a missed
heartbeat, a stalled stream, ``session_expired``) reconnects with the same
configuration after an exponential, jittered backoff; the ledger then sends the
unfinished utterances again. Shortly before ``expires_at`` the session renews its
connection at a quiet moment between utterances.

Not retried: rejected credentials and rejected configuration (``ServiceRejected``),
and quick failures (a handshake that succeeds and then closes at once, again and
again), which would not be fixed by retrying.

The session's surface is small: ``push``/``end_input`` from the input pipeline,
``decide`` from the arbiter, events out through ``emit``.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from translator.arbiter import Arbiter
from translator.backoff import Backoff
from translator.connect import ServiceTarget, open_connection
from translator.errors import ServiceRejected, SessionError, Throttled
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
from translator.profile import Direction, Profile
from translator.protocol import (
    OUTPUT_RATE_HZ,
    AudioDelta,
    Committed,
    OutputItem,
    ResponseEnded,
    ResponseStarted,
    ServerError,
    SessionConfigured,
    SessionStarted,
    TextDelta,
    TextDone,
    Transcribed,
    TranscriptionFailed,
    WireEvent,
    parse,
    session_config,
)
from translator.segmenter import Segment, SegmentAudio, SegmentClose, SegmentOpen

log = structlog.get_logger(__name__)

_MAX_APPEND_BYTES = 48_000  # 1 s of 24 kHz pcm16 per append event
_MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class SessionTimings:
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 15.0
    stall_s: float = 20.0
    heartbeat_s: float = 10.0
    renew_margin_s: float = 60.0
    quick_failure_s: float = 3.0
    max_quick_failures: int = 3
    max_failures: int = 10
    finish_timeout_s: float = 60.0


@dataclass
class SessionStats:
    utterances: int = 0
    reconnects: int = 0
    renewals: int = 0
    retries: int = 0
    errors: int = 0
    latencies: list[Latency] = field(default_factory=list)


class _Renew(Exception):
    """Time to change connections (expiry is near and nothing is pending)."""


class _Dropped(SessionError):
    def __init__(self, reason: str, *, expected: bool = False) -> None:
        super().__init__(reason)
        self.expected = expected


class Session:
    def __init__(
        self,
        direction: Direction,
        profile: Profile,
        target: ServiceTarget,
        emit: Callable[[TranslatorEvent], None],
        arbiter: Arbiter,
        timings: SessionTimings | None = None,
    ) -> None:
        self.direction = direction
        self.key = direction.key
        self._target = target
        self._emit = emit
        self._arbiter = arbiter
        self._t = timings or SessionTimings()
        self._config = session_config(profile, direction)
        self.ledger = Ledger(24_000)
        self.stats = SessionStats()
        self._wake = asyncio.Event()
        self._input_done = False
        self._outbox: deque[dict[str, Any]] = deque()
        self._cursors: dict[str, tuple[int, int]] = {}  # utterance id -> (chunk index, bytes before it)
        self._commits: deque[Utt] = deque()
        self._conversation: deque[str] = deque()  # item ids of finished utterances, oldest first
        self._conn_no = 0
        self._seq = 0
        self._expires_at: float | None = None
        self._connected_at = 0.0
        self._last_event = time.monotonic()
        self._ended = 0  # utterances that reached a terminal stage: the measure of progress
        self._hold_until = 0.0
        self._expiring = False
        self._log = log.bind(direction=self.key)
        arbiter.register(direction.source, self.decide)

    # -- input side (event loop, non-blocking) ----------------------------------------------

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
        self._wake.set()

    def end_input(self) -> None:
        self._input_done = True
        self._wake.set()

    def decide(self, utterance: str, translate: bool, source_text: str) -> None:
        u = self.ledger.utts.get(utterance)
        if u is None or u.terminal or u.translate is not None:
            return
        u.translate = translate
        if translate:
            u.transcript = u.transcript if u.transcript else source_text
            self._emit(
                SourceFinal(
                    self.key,
                    u.id,
                    self.direction.source,
                    self.direction.target,
                    u.start_ms,
                    u.end_ms or u.start_ms,
                    u.transcript or source_text,
                )
            )
        elif u.item_id is not None:
            self._outbox.append({"type": "conversation.item.delete", "item_id": u.item_id})
            self._end(u, Stage.SKIPPED)
        self._wake.set()

    # -- supervision ----------------------------------------------------------------------

    def finished(self) -> bool:
        return self._input_done and not self.ledger.live()

    async def run(self) -> None:
        backoff = Backoff(self._t.backoff_initial_s, self._t.backoff_max_s)
        failures = quick = 0
        while not self.finished():
            finished_before = self._terminal_count()
            started = time.monotonic()
            try:
                await self._one_connection()
                return
            except _Renew:
                self.stats.renewals += 1
                self._log.info("session_renewed", connection=self._conn_no)
                continue
            except ServiceRejected:
                raise
            except SessionError as e:
                throttled = isinstance(e, Throttled)
                expected = isinstance(e, _Dropped) and e.expected
                lived = time.monotonic() - started
                progressed = self._terminal_count() > finished_before
                if progressed or expected:
                    failures = quick = 0
                    backoff.reset()
                else:
                    failures += 1
                    if (
                        self._conn_no
                        and lived < self._t.quick_failure_s
                        and not throttled
                        and self._connected_at
                    ):
                        quick += 1
                if quick >= self._t.max_quick_failures:
                    raise ServiceRejected(
                        f"{self.key}: the service accepted the connection and closed it at once, "
                        f"{quick} times ({e})"
                    ) from None
                if failures >= self._t.max_failures:
                    raise SessionError(
                        f"{self.key}: giving up after {failures} failed connections ({e})"
                    ) from None
                delay = 0.0 if expected else backoff.next_delay(throttled=throttled)
                self.stats.reconnects += 1
                self._log.warning(
                    "reconnecting",
                    reason=str(e),
                    delay_s=round(delay, 2),
                    attempt=failures,
                    pending_utterances=len(self.ledger.live()),
                )
                self._emit(Notice(self.key, "reconnect", f"reconnecting: {e}"))
                await asyncio.sleep(delay)

    def _terminal_count(self) -> int:
        return self._ended + self.ledger.dropped_utterances

    async def _one_connection(self) -> None:
        self._connected_at = 0.0
        self._conn_no += 1
        async with open_connection(self._target, heartbeat_s=self._t.heartbeat_s) as conn:
            self._connected_at = time.monotonic()
            self._last_event = self._connected_at
            self.ledger.reset_connection()
            self._commits.clear()
            self._conversation.clear()
            self._outbox.clear()
            self._expiring = False
            await self._configure(conn)
            self._wake.set()
            sender = asyncio.ensure_future(self._send(conn))
            receiver = asyncio.ensure_future(self._receive(conn))
            tasks = [sender, receiver, asyncio.ensure_future(self._watchdog())]
            try:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            if self.finished():
                return  # everything heard was translated; how the socket then closed does not matter
            for t in done:
                t.result()  # re-raise the failure that ended the connection

    async def _configure(self, conn: Any) -> None:
        first = await self._next_wire(conn, timeout_s=self._target.connect_timeout_s)
        if isinstance(first, ServerError):
            raise ServiceRejected(
                f"{self.key}: the service refused the session: {first.message or first.code}"
            )
        if isinstance(first, SessionStarted):
            self._expires_at = first.expires_at_s
            self._log.info(
                "session_started",
                connection=self._conn_no,
                session_id=first.session_id,
                expires_in_s=round(first.expires_at_s - time.time()) if first.expires_at_s else None,
            )
        await conn.send(
            {"type": "session.update", "session": self._config, "event_id": f"cfg-{self._conn_no}"}
        )
        while True:
            wire = await self._next_wire(conn, timeout_s=self._target.connect_timeout_s)
            if isinstance(wire, SessionConfigured):
                return
            if isinstance(wire, ServerError):
                raise ServiceRejected(
                    f"{self.key}: the service refused the configuration: "
                    f"{wire.message or wire.code}" + (f" ({wire.code})" if wire.code else "")
                )

    async def _next_wire(self, conn: Any, timeout_s: float) -> WireEvent | None:
        from azure.ai.voicelive.aio import ConnectionClosed, ConnectionError

        try:
            event = await asyncio.wait_for(conn.recv(), timeout_s)
        except asyncio.TimeoutError:
            raise _Dropped(f"no answer from the service for {timeout_s:.0f} s") from None
        except ConnectionClosed as e:
            raise _Dropped(
                f"closed by the service (code {_close_code(conn, e.code)})", expected=self._expiring
            ) from None
        except ConnectionError as e:
            if isinstance(e.__cause__, (ValueError, TypeError)):
                self._log.warning("malformed_server_frame", error=str(e.__cause__)[:120])
                return None
            raise _Dropped(f"connection lost: {e}") from None
        self._last_event = time.monotonic()
        return self._interpret(event)

    def _interpret(self, event: Any) -> WireEvent | None:
        """SDK event → wire event; malformed or unknown events are logged, never raised."""
        try:
            wire = parse(event)
        except (AttributeError, KeyError, TypeError, ValueError) as e:
            self._log.warning(
                "malformed_server_event",
                type=str(getattr(event, "type", "?"))[:60],
                error=f"{e.__class__.__name__}: {e}"[:120],
            )
            return None
        if wire is None:
            self._log.debug("unknown_server_event", type=str(getattr(event, "type", "?"))[:60])
        return wire

    async def _watchdog(self) -> None:
        while True:
            await asyncio.sleep(min(0.25, self._t.stall_s / 4))
            if self._renewal_due():
                self._wake.set()
            if self._hold_until and time.monotonic() >= self._hold_until:
                self._hold_until = 0.0
                self._wake.set()
            waiting = any(u.stage in (Stage.COMMITTED, Stage.RESPONDING) for u in self.ledger.utts.values())
            if waiting and time.monotonic() - self._last_event > self._t.stall_s:
                raise _Dropped(f"the service stalled: no event for {self._t.stall_s:.0f} s")

    # -- sending ----------------------------------------------------------------------------

    async def _send(self, conn: Any) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._pump(conn)
            if self.finished():
                self._log.info("session_finished", connection=self._conn_no)
                await conn.close()
                return
            if self._renewal_due() and self.ledger.idle() and not self._outbox:
                raise _Renew()

    def _renewal_due(self) -> bool:
        if self._expires_at is None:
            return False
        span = self._expires_at - (time.time() - (time.monotonic() - self._connected_at))
        margin = min(self._t.renew_margin_s, 0.25 * max(span, 0.0))
        return time.time() >= self._expires_at - margin

    async def _post(self, conn: Any, event: dict[str, Any]) -> None:
        from azure.ai.voicelive.aio import ConnectionError

        self._seq += 1
        event.setdefault("event_id", f"{event['type'].rsplit('.', 1)[-1]}-{self._conn_no}-{self._seq}")
        try:
            await conn.send(event)
        except ConnectionError as e:
            raise _Dropped(f"send failed: {e.__cause__ or e}") from None

    async def _pump(self, conn: Any) -> None:
        while self._outbox:
            await self._post(conn, self._outbox.popleft())
        prev_settled = True
        for u in list(self.ledger.utts.values()):
            if u.terminal:
                continue
            if u.stage not in (Stage.OPEN, Stage.CLOSED):
                prev_settled = u.settled
                continue
            if u.translate is False:  # another direction translates it: never commit it here
                if u.sent_bytes:
                    await self._post(conn, {"type": "input_audio_buffer.clear"})
                self._end(u, Stage.SKIPPED)
                continue
            await self._append(conn, u)
            if u.stage is not Stage.CLOSED or not prev_settled:
                break
            await self._post(
                conn, {"type": "input_audio_buffer.commit", "event_id": f"commit-{u.id}-{self._conn_no}"}
            )
            u.stage = Stage.COMMITTED
            self._commits.append(u)
            prev_settled = False
        if self.ledger.responding() is None and time.monotonic() >= self._hold_until:
            u_next = self.ledger.next_to_translate()
            if u_next is not None:
                u_next.stage = Stage.RESPONDING
                u_next.response_attempts += 1
                await self._post(
                    conn,
                    {"type": "response.create", "event_id": f"resp-{u_next.id}-{u_next.response_attempts}"},
                )
        self.ledger.forget_finished()

    async def _append(self, conn: Any, u: Utt) -> None:
        # Resume at the first chunk not wholly sent. The cursor (chunk index, bytes before it)
        # is valid while it does not pass sent_bytes; a rewind resets sent_bytes and so the
        # cursor. Without it every wake re-walked the whole utterance (O(n) per 20 ms chunk).
        index, before = self._cursors.get(u.id, (0, 0))
        if before > u.sent_bytes:
            index, before = 0, 0
        chunks = u.chunks
        while index < len(chunks):
            chunk = chunks[index]
            end = before + len(chunk)
            if end > u.sent_bytes:
                piece = chunk[u.sent_bytes - before :]
                for i in range(0, len(piece), _MAX_APPEND_BYTES):
                    part = piece[i : i + _MAX_APPEND_BYTES]
                    await self._post(
                        conn,
                        {
                            "type": "input_audio_buffer.append",
                            "audio": base64.b64encode(part).decode("ascii"),
                        },
                    )
                    u.sent_bytes += len(part)
            index, before = index + 1, end
        self._cursors[u.id] = (index, before)
        if len(self._cursors) > 64:
            self._cursors = {k: v for k, v in self._cursors.items() if k in self.ledger.utts}

    # -- receiving --------------------------------------------------------------------------

    async def _receive(self, conn: Any) -> None:
        while True:
            wire = await self._next_wire(conn, timeout_s=3600.0)
            if wire is not None:
                self._on(wire)
                self._wake.set()

    def absorb(self, event: Any) -> None:
        """Take one SDK event as the receive loop does (used by the fuzz tests too)."""
        wire = self._interpret(event)
        if wire is not None:
            self._on(wire)

    def _on(self, wire: WireEvent) -> None:  # noqa: C901 - one flat match over the wire vocabulary
        match wire:
            case Committed(item_id=item):
                u = self._commits.popleft() if self._commits else None
                if u is None:
                    return
                if u.stage is not Stage.COMMITTED or u.translate is False:
                    # rewound (or not ours to translate) while the commit was on its way
                    self._outbox.append({"type": "conversation.item.delete", "item_id": item})
                    if u.translate is False:
                        self._end(u, Stage.SKIPPED)
                    return
                u.item_id = item
            case Transcribed(item_id=item, text=text, locale=locale):
                u = self.ledger.by_item(item)
                if u is None or u.terminal:
                    return
                u.stage = Stage.TRANSCRIBED
                if u.translate is None:
                    u.transcript = text
                    self._arbiter.report(u.id, self.direction.source, text, locale)
                elif u.translate is False:
                    self._outbox.append({"type": "conversation.item.delete", "item_id": item})
                    self._end(u, Stage.SKIPPED)
            case TranscriptionFailed(item_id=item, message=message):
                self._transcription_failed(item, message)
            case ResponseStarted(response_id=rid):
                u = self.ledger.responding()
                if u is not None and u.response_id is None:
                    u.response_id = rid
                    u.response_created = True
            case OutputItem(response_id=rid, item_id=item):
                u = self.ledger.by_response(rid)
                if u is not None:
                    u.assistant_item = item
            case TextDelta(response_id=rid, delta=delta):
                u = self.ledger.by_response(rid)
                if u is not None and delta:
                    u.text_parts.append(delta)
                    self._emit(TranslationPartial(self.key, u.id, "".join(u.text_parts)))
            case AudioDelta(response_id=rid, pcm=pcm):
                u = self.ledger.by_response(rid)
                if u is not None and pcm:
                    if u.first_audio_wall_s is None:
                        u.first_audio_wall_s = time.monotonic()
                    self._emit(TranslationAudio(self.key, u.id, pcm, OUTPUT_RATE_HZ, at_ms=u.end_ms))
            case TextDone(response_id=rid, text=text):
                u = self.ledger.by_response(rid)
                if u is not None:
                    u.text_done = text
            case ResponseEnded(response_id=rid, status=status, reason=reason):
                self._response_ended(rid, status, reason)
            case ServerError():
                self._server_error(wire)
            case SessionStarted(expires_at_s=exp):
                self._expires_at = exp
            case _:
                pass

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
        self._outbox.append({"type": "conversation.item.delete", "item_id": item})
        if u.transcription_failures >= _MAX_ATTEMPTS:
            self._log.error("transcription_gave_up", utterance=u.id, reason=message)
            self._emit(Notice(self.key, "error", f"utterance {u.id} could not be transcribed: {message}"))
            self._end(u, Stage.SKIPPED)
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
            self._outbox.append({"type": "conversation.item.delete", "item_id": u.assistant_item})
        self.stats.retries += 1
        if u.response_attempts >= _MAX_ATTEMPTS:
            self._log.error("translation_gave_up", utterance=u.id, status=status, reason=reason)
            self._emit(Notice(self.key, "error", f"utterance {u.id}: translation {status} ({reason})"))
            self._end(u, Stage.SKIPPED)
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
                self._outbox.append({"type": "conversation.item.delete", "item_id": v.item_id})
        self._outbox.append({"type": "input_audio_buffer.clear"})
        self.ledger.rewind_from(live[0])

    def _reset_response(self, u: Utt) -> None:
        u.stage = Stage.TRANSCRIBED
        u.response_id = u.assistant_item = None
        u.response_created = False
        u.text_parts.clear()
        u.text_done = None

    def _finish(self, u: Utt) -> None:
        now = time.monotonic()
        text = (u.text_done if u.text_done is not None else "".join(u.text_parts)).strip()
        closed = u.closed_wall_s or now
        latency = Latency(
            end_to_first_audio_ms=_ms(u.first_audio_wall_s - closed) if u.first_audio_wall_s else None,
            end_to_final_text_ms=_ms(now - closed),
            ear_voice_span_ms=_ms(u.first_audio_wall_s - u.start_wall_s) if u.first_audio_wall_s else None,
        )
        self._end(u, Stage.DONE)
        if not text:
            self._emit(UtteranceSkipped(self.key, u.id, "empty translation"))
        if text:
            self.stats.utterances += 1
            self.stats.latencies.append(latency)
            self._emit(
                TranslationFinal(
                    self.key,
                    u.id,
                    self.direction.source,
                    self.direction.target,
                    u.start_ms,
                    u.end_ms or u.start_ms,
                    text,
                    u.transcript or "",
                    latency,
                )
            )
        # Keep the conversation short: the last two exchanges are context enough.
        self._conversation.extend(i for i in (u.item_id, u.assistant_item) if i)
        while len(self._conversation) > 4:
            self._outbox.append({"type": "conversation.item.delete", "item_id": self._conversation.popleft()})

    def _server_error(self, err: ServerError) -> None:
        self.stats.errors += 1
        source = err.client_event_id or ""
        if err.code == "session_expired":
            self._expiring = True
            self._log.info("session_expired", message=err.message)
            return
        if err.code in ("rate_limit_exceeded", "conversation_already_has_active_response"):
            delay = 2.0 if err.code == "rate_limit_exceeded" else 0.5
            self._hold_until = time.monotonic() + delay  # the watchdog wakes the sender after it
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


def _close_code(conn: Any, reported: int) -> int:
    # The SDK reports 1000 for an abort; the transport knows the real code (protocol notes §9).
    ws = getattr(conn, "_connection", None)
    code = getattr(ws, "close_code", None)
    return int(code) if isinstance(code, int) else reported
