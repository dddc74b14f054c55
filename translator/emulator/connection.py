"""One client connection: the client-event handlers (a table), audio buffer, VAD, turns.

Every server event goes through :meth:`Connection.send`, which stamps a unique
``event_id``, serializes sends, honours a stall (the gate) and records the type.
Responses run as tasks (``response.py``); cancel and barge-in wait for the
response's ``*.done`` events before the next client event is handled.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import structlog
from aiohttp import WSMsgType, web

from translator.emulator.codec import Float32Array, decode, input_format, output_format
from translator.emulator.config import (
    ConfigError,
    apply_update,
    default_session,
    is_realtime_model,
    vad_settings,
)
from translator.emulator.conversation import Conversation, Item, ItemError, new_id, user_audio_item
from translator.emulator.faults import FaultPlan
from translator.emulator.model import Heard, Model, Reply
from translator.emulator.options import EmulatorOptions
from translator.emulator.record import ConnectionRecord
from translator.emulator.response import Abort, ConnectionEnded, ResponseRun, ResponseSpec
from translator.emulator.vad import EnergyVad
from translator.emulator.voice import synthesize_speech

log = structlog.get_logger(__name__)
Handler = Callable[[dict[str, Any]], Awaitable[None]]
_UNSUPPORTED = (
    "input_audio.turn.start",
    "input_audio.turn.append",
    "input_audio.turn.end",
    "input_audio.turn.cancel",
    "input_audio.clear",
    "transcription_session.update",
)


class Connection:
    def __init__(
        self,
        ws: web.WebSocketResponse,
        transport: Any,
        options: EmulatorOptions,
        model: Model,
        faults: FaultPlan,
        record: ConnectionRecord,
        model_name: str,
        expires_in_s: float,
    ) -> None:
        self.ws, self._transport, self.options, self.model, self.faults = (
            ws,
            transport,
            options,
            model,
            faults,
        )
        self.record = record
        self.config = default_session(model_name, record.session_id, int(time.time() + expires_in_s))
        self._expires_in_s = expires_in_s
        scenario_order = options.scenario.ordering if options.scenario else None
        order = options.ordering if options.ordering != "auto" else scenario_order
        self.realtime = order == "realtime" or (order is None and is_realtime_model(model_name))
        self.conversation = Conversation()
        self.conversation_id = new_id("conv")
        self.response: ResponseRun | None = None
        self._lock = asyncio.Lock()
        self._gate = asyncio.Event()
        self._gate.set()
        self._updated_once = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._buffer: list[Float32Array] = []
        self._buffer_start_ms = 0.0
        self._clock_ms = 0.0
        self._vad: EnergyVad | None = None
        self._speech_item: str | None = None
        self._speech_start_ms = 0
        self._spoken_items = 0
        self._reset_vad()
        self._handlers: dict[str, Handler] = {
            "session.update": self._on_session_update,
            "input_audio_buffer.append": self._on_append,
            "input_audio_buffer.commit": self._on_commit,
            "input_audio_buffer.clear": self._on_clear,
            "response.create": self._on_response_create,
            "response.cancel": self._on_response_cancel,
            "conversation.item.create": self._on_item_create,
            "conversation.item.delete": self._on_item_delete,
            "conversation.item.retrieve": self._on_item_retrieve,
            "conversation.item.truncate": self._on_item_truncate,
        }

    # --- plumbing --------------------------------------------------------------------------------

    @property
    def _rate_hz(self) -> int:
        return input_format(
            self.config["input_audio_format"], self.config["input_audio_sampling_rate"]
        ).sample_rate_hz

    async def send(self, type_: str, **fields: Any) -> None:
        event = {"type": type_, "event_id": new_id("event"), **fields}
        data = json.dumps(event, ensure_ascii=False)
        async with self._lock:
            await self._gate.wait()
            if self.ws.closed:
                raise ConnectionEnded("closed")
            try:
                await self.ws.send_str(data)
            except (ConnectionError, RuntimeError) as e:
                raise ConnectionEnded(str(e)) from e
        self.record.sent_types.append(type_)

    async def error(
        self,
        code: str,
        message: str,
        param: str | None = None,
        event_id: Any = None,
        type_: str = "invalid_request_error",
    ) -> None:
        await self.send(
            "error",
            error={"type": type_, "code": code, "message": message, "param": param, "event_id": event_id},
        )

    def _spawn(self, coro: Awaitable[None], name: str) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._task_done(t, name))

    def _task_done(self, task: asyncio.Task[None], name: str) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            if not isinstance(exc, ConnectionEnded):
                log.error(
                    "emulator_task_failed", task=name, session_id=self.record.session_id, error=repr(exc)
                )

    async def close(self, code: int) -> None:
        self.record.close_code = code
        await self.ws.close(code=code)

    def abort(self) -> None:
        """Drop the TCP connection with no close frame (the client sees 1006)."""
        self.record.close_code = 1006
        self._transport.abort()

    def _hold(self, seconds: float) -> None:
        self._gate.clear()
        asyncio.get_running_loop().call_later(seconds, self._gate.set)

    async def serve(self) -> None:
        self._spawn(self._expire(), "expiry")
        try:
            await self.send("session.created", session=self.config)
            async for msg in self.ws:
                if msg.type == WSMsgType.TEXT:
                    await self._dispatch(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    await self.error("invalid_value", "Binary frames are not supported; send JSON text.")
        except ConnectionEnded:
            pass
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _dispatch(self, data: str) -> None:
        try:
            event = json.loads(data)
        except ValueError:
            await self.error("invalid_json", "The message is not valid JSON.")
            return
        if not isinstance(event, dict):
            await self.error("invalid_value", "A client event must be a JSON object.")
            return
        self.record.add_received(event)
        handler = self._handlers.get(str(event.get("type")))
        if handler is not None:
            await handler(event)
        elif event.get("type") in _UNSUPPORTED:
            await self.error(
                "unsupported_event", f"'{event['type']}' is not supported.", "type", event.get("event_id")
            )
        else:
            await self.error(
                "invalid_value", f"Unknown event type {event.get('type')!r}.", "type", event.get("event_id")
            )

    async def _expire(self) -> None:
        await asyncio.sleep(self._expires_in_s)
        minutes = self._expires_in_s / 60
        await self.error("session_expired", f"Your session hit the maximum duration of {minutes:g} minutes.")
        await self.close(1001)

    # --- session and audio -----------------------------------------------------------------------

    def _reset_vad(self) -> None:
        settings = vad_settings(self.config["turn_detection"])
        self._vad = EnergyVad(settings, self._rate_hz, int(self._clock_ms)) if settings else None
        self._speech_item = None

    async def _on_session_update(self, event: dict[str, Any]) -> None:
        try:
            new = apply_update(self.config, event.get("session"))
        except ConfigError as e:
            await self.error(e.code, e.message, e.param, event.get("event_id"))
            if e.fatal:
                await self.close(1008)
            return
        reset = any(
            new[k] != self.config[k]
            for k in ("turn_detection", "input_audio_format", "input_audio_sampling_rate")
        )
        self.config = new
        if reset:
            self._reset_vad()
        await self.send("session.updated", session=self.config)
        stall = self.faults.stall_connections.get(self.record.index)
        if stall and not self._updated_once:
            self._hold(stall)
        self._updated_once = True

    async def _on_append(self, event: dict[str, Any]) -> None:
        try:
            raw = base64.b64decode(event.get("audio") or "", validate=True)
        except (binascii.Error, TypeError):
            await self.error("invalid_value", "audio must be base64 text.", "audio", event.get("event_id"))
            return
        fmt = input_format(self.config["input_audio_format"], self.config["input_audio_sampling_rate"])
        samples = decode(raw, fmt)
        self._buffer.append(samples)
        self._clock_ms += samples.size * 1000 / fmt.sample_rate_hz
        if self._vad is None:
            return
        for vad_event in self._vad.push(samples):
            if vad_event.kind == "started":
                await self._speech_started(vad_event.at_ms)
            else:
                await self._speech_stopped(vad_event.at_ms)
        if not self._vad.speaking:
            self._trim_buffer(self._clock_ms - max(self._vad.settings.prefix_padding_ms, 1000))

    def _take_buffer(self, start_ms: float, end_ms: float) -> Float32Array:
        audio = np.concatenate(self._buffer) if self._buffer else np.zeros(0, np.float32)
        rate = self._rate_hz
        a = max(0, int((start_ms - self._buffer_start_ms) * rate / 1000))
        b = max(a, int((end_ms - self._buffer_start_ms) * rate / 1000))
        self._buffer = [audio[b:]] if audio.size > b else []
        self._buffer_start_ms = (
            self._clock_ms - (audio.size - b) * 1000 / rate if audio.size > b else self._clock_ms
        )
        return audio[a:b]

    def _trim_buffer(self, keep_from_ms: float) -> None:
        if keep_from_ms > self._buffer_start_ms + 2000:
            self._take_buffer(keep_from_ms, keep_from_ms)

    async def _speech_started(self, at_ms: int) -> None:
        self._speech_item, self._speech_start_ms = new_id("item"), at_ms
        await self.send("input_audio_buffer.speech_started", audio_start_ms=at_ms, item_id=self._speech_item)
        td = self.config["turn_detection"] or {}
        if self.response is not None and self.response.active and td.get("interrupt_response", True):
            run = self.response
            await self._stop_response("cancelled", {"type": "cancelled", "reason": "turn_detected"})
            if td.get("auto_truncate") and any(i is run.item for i in self.conversation.items):
                played = run.played_ms()
                self.conversation.truncate(run.item.id, 0, played)
                await self.send(
                    "conversation.item.truncated", item_id=run.item.id, content_index=0, audio_end_ms=played
                )

    async def _speech_stopped(self, at_ms: int) -> None:
        item_id = self._speech_item or new_id("item")
        self._speech_item = None
        await self.send("input_audio_buffer.speech_stopped", audio_end_ms=at_ms, item_id=item_id)
        audio = self._take_buffer(self._speech_start_ms, at_ms)
        td = self.config["turn_detection"] or {}
        await self._commit(item_id, audio, auto_response=bool(td.get("create_response", True)))

    async def _on_commit(self, event: dict[str, Any]) -> None:
        if not any(b.size for b in self._buffer):
            await self.error(
                "input_audio_buffer_commit_empty",
                "Error committing input audio buffer: the buffer is empty.",
                None,
                event.get("event_id"),
            )
            return
        audio = self._take_buffer(self._buffer_start_ms, self._clock_ms)
        self._reset_vad()
        await self._commit(new_id("item"), audio, auto_response=False)

    async def _on_clear(self, event: dict[str, Any]) -> None:
        self._buffer, self._buffer_start_ms = [], self._clock_ms
        self._reset_vad()
        if self.options.send_cleared:
            await self.send("input_audio_buffer.cleared")

    async def _commit(self, item_id: str, audio: Float32Array, auto_response: bool) -> None:
        heard = self.model.hear(audio, self._rate_hz, self._spoken_items)
        self._spoken_items += heard.has_speech
        previous = self.conversation.last_id()
        await self.send("input_audio_buffer.committed", previous_item_id=previous, item_id=item_id)
        transcribe = not self.realtime or self.config["input_audio_transcription"] is not None
        failed = transcribe and self.faults.take({"transcription_failed"}, heard.utterance) is not None
        item = Item(user_audio_item(item_id, None), audio, self._rate_hz, heard)
        if not self.realtime:
            if transcribe:
                await self._send_transcription(item, failed)
            self.conversation.append(item)
            await self.send("conversation.item.created", previous_item_id=previous, item=item.payload)
        else:
            self.conversation.append(item)
            await self.send("conversation.item.created", previous_item_id=previous, item=item.payload)
            if transcribe:
                self._spawn(self._late_transcription(item, failed), "transcription")
        if auto_response:
            await self._start_response({}, None, None)

    async def _send_transcription(self, item: Item, failed: bool) -> None:
        ids = {"item_id": item.id, "content_index": 0}
        if failed:
            await self.send(
                "conversation.item.input_audio_transcription.failed",
                **ids,
                error={
                    "type": "transcription_error",
                    "code": "audio_unintelligible",
                    "message": "Emulated transcription failure.",
                    "param": None,
                },
            )
            return
        transcript = item.heard.transcript if item.heard else ""
        item.payload["content"][0]["transcript"] = transcript
        if self.realtime and transcript:
            await self.send("conversation.item.input_audio_transcription.delta", **ids, delta=transcript)
        await self.send("conversation.item.input_audio_transcription.completed", **ids, transcript=transcript)

    async def _late_transcription(self, item: Item, failed: bool) -> None:
        await asyncio.sleep(max(self.options.transcript_delay_ms / 1000, 0.01))
        if self.response is not None:
            await self.response.finished.wait()
        await self._send_transcription(item, failed)

    # --- responses -------------------------------------------------------------------------------

    async def _stop_response(self, status: str, details: dict[str, Any]) -> None:
        if self.response is not None and self.response.active:
            self.response.request_stop(status, details)
            await self.response.finished.wait()

    async def _on_response_create(self, event: dict[str, Any]) -> None:
        request = event.get("response") or {}
        if not isinstance(request, dict):
            await self.error("invalid_value", "response must be an object", "response", event.get("event_id"))
            return
        await self._start_response(request, event.get("additional_instructions"), event.get("event_id"))

    async def _start_response(self, request: dict[str, Any], extra: Any, client_event_id: Any) -> None:
        if self.response is not None and self.response.active:
            if self.options.cancel_previous_mode == "reject" or request.get("cancel_previous") is False:
                await self.error(
                    "conversation_already_has_active_response",
                    f"Conversation already has an active response in progress: {self.response.id}. "
                    "Wait until the response is finished before creating a new one.",
                    None,
                    client_event_id,
                )
                return
            await self._stop_response("cancelled", {"type": "cancelled", "reason": "client_cancelled"})
        cfg = self.config
        instructions = " ".join(
            str(x) for x in (cfg["instructions"], request.get("instructions"), extra) if x
        )
        out_name = request.get("output_audio_format") or cfg["output_audio_format"]
        out = output_format(out_name)
        source = self.conversation.latest_heard()
        heard: Heard | None = source.heard if source else None
        pre = request.get("pre_generated_assistant_message")
        if pre is not None:
            text = (
                pre
                if isinstance(pre, str)
                else " ".join(
                    str(c.get("text", "")) for c in (pre.get("content") or []) if isinstance(c, dict)
                )
            )
            reply = Reply(text, synthesize_speech(text, out.sample_rate_hz))
        elif source is not None:
            reply = self.model.reply(
                heard, instructions, source.audio, source.sample_rate_hz, out.sample_rate_hz
            )
        else:
            reply = self.model.reply(None, instructions, np.zeros(0, np.float32), 24_000, out.sample_rate_hz)
        modalities = request.get("modalities") or cfg["modalities"]
        spec = ResponseSpec(
            reply=reply,
            delay_ms=reply.delay_ms if reply.delay_ms is not None else self.options.model_delay_ms,
            pacing=self.options.pacing,
            output=out,
            output_format_name=str(out_name),
            audio="audio" in modalities,
            in_conversation=request.get("conversation", "auto") != "none",
            voice=request.get("voice", cfg["voice"]),
            temperature=request.get("temperature", cfg["temperature"]),
            utterance=heard.utterance if heard else None,
            item_status_on_add=self.options.item_status_on_add,
        )
        abort = Abort(close_1011=lambda: self.close(1011), tcp_abort=self.abort)
        run = ResponseRun(
            spec, self.send, self.faults, abort, (instructions, heard.duration_ms if heard else 0)
        )
        run.conversation_id = self.conversation_id if spec.in_conversation else None
        self.response = run
        self._spawn(run.run(self._add_assistant_item), "response")

    def _add_assistant_item(self, item: Item) -> str | None:
        return self.conversation.append(item)

    async def _on_response_cancel(self, event: dict[str, Any]) -> None:
        wanted = event.get("response_id")
        run = self.response
        if run is None or not run.active or (wanted and wanted != run.id):
            await self.error(
                "response_cancel_not_active",
                "Cancellation failed: no active response found.",
                None,
                event.get("event_id"),
            )
            return
        await self._stop_response("cancelled", {"type": "cancelled", "reason": "client_cancelled"})

    # --- conversation items ----------------------------------------------------------------------

    async def _item_op(self, event: dict[str, Any], op: Callable[[], Awaitable[None]]) -> None:
        try:
            await op()
        except ItemError as e:
            await self.error(e.code, e.message, e.param, event.get("event_id"))

    async def _on_item_create(self, event: dict[str, Any]) -> None:
        async def op() -> None:
            item, previous = self.conversation.create(event.get("item"), event.get("previous_item_id"))
            await self.send("conversation.item.created", previous_item_id=previous, item=item.payload)

        await self._item_op(event, op)

    async def _on_item_delete(self, event: dict[str, Any]) -> None:
        async def op() -> None:
            self.conversation.delete(event.get("item_id"))
            await self.send("conversation.item.deleted", item_id=event.get("item_id"))

        await self._item_op(event, op)

    async def _on_item_retrieve(self, event: dict[str, Any]) -> None:
        async def op() -> None:
            await self.send(
                "conversation.item.retrieved", item=self.conversation.find(event.get("item_id")).payload
            )

        await self._item_op(event, op)

    async def _on_item_truncate(self, event: dict[str, Any]) -> None:
        async def op() -> None:
            self.conversation.truncate(
                event.get("item_id"), event.get("content_index"), event.get("audio_end_ms")
            )
            await self.send(
                "conversation.item.truncated",
                item_id=event.get("item_id"),
                content_index=event.get("content_index"),
                audio_end_ms=event.get("audio_end_ms"),
            )

        await self._item_op(event, op)
