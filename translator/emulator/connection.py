"""One client connection: builds its parts, dispatches client events (a table), and
handles ``session.update`` and expiry.

The parts, each in its own module: :class:`~translator.emulator.outbox.Outbox`
(every server event), :class:`~translator.emulator.input_audio.InputAudio` (buffer,
VAD, commits, transcription), :class:`~translator.emulator.responder.Responder`
(responses, cancel, barge-in) and :class:`~translator.emulator.items.ItemHandlers`.
Client events are handled one at a time, in order.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import WSMsgType, web

from translator.emulator.config import ConfigError, apply_update, default_session, is_realtime_model
from translator.emulator.faults import FaultPlan
from translator.emulator.input_audio import InputAudio
from translator.emulator.items import ItemHandlers
from translator.emulator.model import Model
from translator.emulator.options import EmulatorOptions
from translator.emulator.outbox import Outbox, TaskSet
from translator.emulator.record import ConnectionRecord
from translator.emulator.responder import Responder
from translator.emulator.response_faults import ConnectionEnded
from translator.emulator.state import SessionState

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
_VAD_KEYS = ("turn_detection", "input_audio_format", "input_audio_sampling_rate")


def _realtime_ordering(options: EmulatorOptions, model_name: str) -> bool:
    scenario_order = options.scenario.ordering if options.scenario else None
    order = options.ordering if options.ordering != "auto" else scenario_order
    return order == "realtime" or (order is None and is_realtime_model(model_name))


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
        self.ws, self.options, self.faults, self.record = ws, options, faults, record
        hostile = faults.hostile
        expires_at = hostile.expires_at_s if hostile.expires_at_s is not None else time.time() + expires_in_s
        config = default_session(model_name, record.session_id, int(expires_at))
        self.state = SessionState(config, _realtime_ordering(options, model_name))
        self.outbox = Outbox(ws, transport, record)
        self.outbox.echo = hostile.echo
        self.outbox.latency_s = faults.event_latency_s
        self._tasks = TaskSet(record.session_id)
        self._expires_in_s = expires_in_s
        self._updated_once = False
        self.responder = Responder(self.state, self.outbox, model, faults, options, self._tasks)
        self.audio = InputAudio(self.state, self.outbox, model, faults, options, self._tasks, self.responder)
        items = ItemHandlers(self.state, self.outbox)
        self._handlers: dict[str, Handler] = {
            "session.update": self._on_session_update,
            "input_audio_buffer.append": self.audio.on_append,
            "input_audio_buffer.commit": self.audio.on_commit,
            "input_audio_buffer.clear": self.audio.on_clear,
            "response.create": self.responder.on_create,
            "response.cancel": self.responder.on_cancel,
            "conversation.item.create": items.on_create,
            "conversation.item.delete": items.on_delete,
            "conversation.item.retrieve": items.on_retrieve,
            "conversation.item.truncate": items.on_truncate,
        }

    async def serve(self) -> None:
        self._tasks.spawn(self._expire(), "expiry")
        try:
            await self.outbox.send("session.created", session=self.state.config)
            async for msg in self.ws:
                if msg.type == WSMsgType.TEXT:
                    await self._dispatch(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    await self.outbox.error(
                        "invalid_value", "Binary frames are not supported; send JSON text."
                    )
        except ConnectionEnded:
            pass
        finally:
            await self._tasks.cancel_all()
            await self.outbox.stop_line()
            self._release()

    def _release(self) -> None:
        """Break the reference cycles that hold the heavy parts (handlers are bound methods of
        the parts, which point at each other and back): a closed connection's audio buffer and
        conversation are freed at once, not whenever the cycle collector runs (three idle
        connections held 785 MB)."""
        self._handlers.clear()
        self.audio.release()
        self.state.conversation.items.clear()

    async def _dispatch(self, data: str) -> None:
        try:
            event = json.loads(data)
        except ValueError:
            await self.outbox.error("invalid_json", "The message is not valid JSON.")
            return
        if not isinstance(event, dict):
            await self.outbox.error("invalid_value", "A client event must be a JSON object.")
            return
        self.record.add_received(event)
        handler = self._handlers.get(str(event.get("type")))
        if handler is not None:
            await handler(event)
        elif event.get("type") in _UNSUPPORTED:
            await self.outbox.error(
                "unsupported_event", f"'{event['type']}' is not supported.", "type", event.get("event_id")
            )
        else:
            await self.outbox.error(
                "invalid_value", f"Unknown event type {event.get('type')!r}.", "type", event.get("event_id")
            )

    async def _expire(self) -> None:
        await asyncio.sleep(self._expires_in_s)
        minutes = self._expires_in_s / 60
        await self.outbox.error(
            "session_expired", f"Your session hit the maximum duration of {minutes:g} minutes."
        )
        await self.outbox.close(1001)

    async def _on_session_update(self, event: dict[str, Any]) -> None:
        """Every session.update gets session.updated or an error, never silence."""
        code = self.faults.hostile.update_errors.get(self.record.index)
        if code is not None:
            kind = "rate_limit_error" if code == "rate_limit_exceeded" else "server_error"
            kind = "invalid_request_error" if code.startswith("invalid") else kind
            await self.outbox.error(code, f"Emulated {code} error.", None, event.get("event_id"), kind)
            return
        try:
            new = apply_update(self.state.config, event.get("session"))
            reset = any(new[k] != self.state.config[k] for k in _VAD_KEYS)
            old, self.state.config = self.state.config, new
            if reset:
                try:
                    self.audio.reset_vad()
                except Exception:
                    self.state.config = old
                    raise
        except ConfigError as e:
            await self.outbox.error(e.code, e.message, e.param, event.get("event_id"))
            if e.fatal:
                await self.outbox.close(1008)
            return
        except Exception as e:  # a configuration the emulator cannot serve: say so
            log.warning("emulator_session_update_failed", error=f"{e.__class__.__name__}: {e}")
            await self.outbox.error(
                "invalid_value",
                f"The emulator cannot apply this configuration: {e}",
                "session",
                event.get("event_id"),
            )
            return
        await self.outbox.send("session.updated", session=self.state.config)
        stall = self.faults.stall_connections.get(self.record.index)
        if stall and not self._updated_once:
            self.outbox.hold(stall)
        if not self._updated_once:
            for frame in self.faults.hostile.raw_frames.get(self.record.index, ()):
                await self.outbox.send_text(frame)
        self._updated_once = True
