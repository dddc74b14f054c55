"""The response driver of one connection: ``response.create`` and ``response.cancel``,
the one running :class:`~translator.emulator.response.ResponseRun`, and barge-in.

A new response while one runs cancels it first (or is refused, OpenAI-style, in
``reject`` mode); cancel and barge-in wait for the running response's ``*.done``
events before the next client event is handled.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import numpy as np

from translator.emulator.codec import Float32Array, decode, input_format, output_format
from translator.emulator.conversation import Item
from translator.emulator.faults import FaultPlan
from translator.emulator.model import Heard, Model, Reply
from translator.emulator.options import EmulatorOptions
from translator.emulator.outbox import Outbox, TaskSet
from translator.emulator.response import ResponseRun, ResponseSpec
from translator.emulator.response_faults import Abort
from translator.emulator.state import SessionState
from translator.emulator.voice import synthesize_speech

_CLIENT_CANCELLED = {"type": "cancelled", "reason": "client_cancelled"}


def _pre_generated_text(pre: Any) -> str:
    if isinstance(pre, str):
        return pre
    return " ".join(str(c.get("text", "")) for c in (pre.get("content") or []) if isinstance(c, dict))


class Responder:
    def __init__(
        self,
        state: SessionState,
        outbox: Outbox,
        model: Model,
        faults: FaultPlan,
        options: EmulatorOptions,
        tasks: TaskSet,
    ) -> None:
        self._state, self._outbox, self._model = state, outbox, model
        self._faults, self._options, self._tasks = faults, options, tasks
        self.current: ResponseRun | None = None

    @property
    def active(self) -> bool:
        return self.current is not None and self.current.active

    async def wait_idle(self) -> None:
        """Until the response running now (if any) has sent its ``response.done``."""
        if self.current is not None:
            await self.current.finished.wait()

    async def stop(self, status: str, details: dict[str, Any]) -> None:
        if self.current is not None and self.current.active:
            self.current.request_stop(status, details)
            await self.current.finished.wait()

    async def barge_in(self) -> None:
        """Speech started: cancel the running response (``turn_detected``) if the session
        interrupts, and truncate its item to what was played when ``auto_truncate`` is on."""
        td = self._state.turn_detection
        run = self.current
        if run is None or not run.active or not td.get("interrupt_response", True):
            return
        await self.stop("cancelled", {"type": "cancelled", "reason": "turn_detected"})
        conversation = self._state.conversation
        if td.get("auto_truncate") and any(i is run.item for i in conversation.items):
            played = run.played_ms()
            conversation.truncate(run.item.id, 0, played)
            await self._outbox.send(
                "conversation.item.truncated", item_id=run.item.id, content_index=0, audio_end_ms=played
            )

    async def on_create(self, event: dict[str, Any]) -> None:
        request = event.get("response") or {}
        if not isinstance(request, dict):
            await self._outbox.error(
                "invalid_value", "response must be an object", "response", event.get("event_id")
            )
            return
        await self.start(request, event.get("additional_instructions"), event.get("event_id"))

    async def on_cancel(self, event: dict[str, Any]) -> None:
        wanted = event.get("response_id")
        run = self.current
        if run is None or not run.active or (wanted and wanted != run.id):
            await self._outbox.error(
                "response_cancel_not_active",
                "Cancellation failed: no active response found.",
                None,
                event.get("event_id"),
            )
            return
        await self.stop("cancelled", _CLIENT_CANCELLED)

    async def start(self, request: dict[str, Any], extra: Any, client_event_id: Any) -> None:
        try:
            source = self._source(request)
        except ValueError as e:
            await self._outbox.error("invalid_value", str(e), "response.input_items", client_event_id)
            return
        if self.current is not None and self.current.active:
            if self._options.cancel_previous_mode == "reject" or request.get("cancel_previous") is False:
                await self._outbox.error(
                    "conversation_already_has_active_response",
                    f"Conversation already has an active response in progress: {self.current.id}. "
                    "Wait until the response is finished before creating a new one.",
                    None,
                    client_event_id,
                )
                return
            await self.stop("cancelled", _CLIENT_CANCELLED)
        cfg = self._state.config
        instructions = " ".join(
            str(x) for x in (cfg["instructions"], request.get("instructions"), extra) if x
        )
        out_name = request.get("output_audio_format") or cfg["output_audio_format"]
        out = output_format(out_name)
        heard: Heard | None = source.heard if source else None
        pre = request.get("pre_generated_assistant_message")
        if pre is not None:
            text = _pre_generated_text(pre)
            reply = Reply(text, synthesize_speech(text, out.sample_rate_hz))
        elif source is not None:
            reply = self._model.reply(
                heard, instructions, source.audio, source.sample_rate_hz, out.sample_rate_hz
            )
        else:
            reply = self._model.reply(None, instructions, np.zeros(0, np.float32), 24_000, out.sample_rate_hz)
        modalities = request.get("modalities") or cfg["modalities"]
        spec = ResponseSpec(
            reply=reply,
            delay_ms=reply.delay_ms if reply.delay_ms is not None else self._options.model_delay_ms,
            pacing=self._options.pacing,
            output=out,
            output_format_name=str(out_name),
            audio="audio" in modalities,
            in_conversation=request.get("conversation", "auto") != "none",
            voice=request.get("voice", cfg["voice"]),
            temperature=request.get("temperature", cfg["temperature"]),
            utterance=heard.utterance if heard else None,
            item_status_on_add=self._options.item_status_on_add,
        )
        abort = Abort(close_1011=lambda: self._outbox.close(1011), tcp_abort=self._outbox.abort)
        run = ResponseRun(
            spec, self._outbox.send, self._faults, abort, (instructions, heard.duration_ms if heard else 0)
        )
        run.conversation_id = self._state.conversation_id if spec.in_conversation else None
        self.current = run
        self._tasks.spawn(run.run(self._add_assistant_item), "response")

    def _source(self, request: dict[str, Any]) -> Item | None:
        """The user message this response answers: the newest one in ``input_items`` when
        the request gives its own context (an empty list: none), else the newest one in
        ``append_input_items``, else the newest heard one in the conversation."""
        for key in ("input_items", "append_input_items"):
            items = request.get(key)
            if items is None:
                continue
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise ValueError(f"{key} must be a list of conversation items")
            for raw in reversed(items):
                if raw.get("type") == "message" and raw.get("role") == "user":
                    audio = self._audio_in(raw)
                    if audio is not None:
                        rate = self._state.input_rate_hz
                        return Item(dict(raw), audio, rate, self._model.hear(audio, rate, 0))
                    text = " ".join(
                        str(c.get("text") or c.get("transcript") or "")
                        for c in raw.get("content") or []
                        if isinstance(c, dict)
                    )
                    return Item(dict(raw), heard=self._heard_in_text(text))
            if key == "input_items":
                return None
        return self._state.conversation.latest_heard()

    def _audio_in(self, message: dict[str, Any]) -> Float32Array | None:
        """The audio of an ``input_audio`` part (base64, in the session's input format)."""
        for part in message.get("content") or []:
            if isinstance(part, dict) and part.get("type") == "input_audio" and part.get("audio"):
                try:
                    raw = base64.b64decode(str(part["audio"]), validate=True)
                except binascii.Error as e:
                    raise ValueError("input_audio must be base64 audio") from e
                cfg = self._state.config
                return decode(raw, input_format(cfg["input_audio_format"], cfg["input_audio_sampling_rate"]))
        return None

    def _heard_in_text(self, text: str) -> Heard:
        """What a text message says. A transcript this session gave for an item still in the
        conversation is that item's words (the oldest such item: a recording may repeat a
        sentence); other text is mapped back to the scenario's words."""
        for item in self._state.conversation.items:
            if item.role == "user" and item.heard is not None and item.heard.transcript == text.strip():
                return item.heard
        return self._model.read(text)

    def _add_assistant_item(self, item: Item) -> str | None:
        return self._state.conversation.append(item)
