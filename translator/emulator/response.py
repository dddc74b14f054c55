"""One response: the §3 envelope streamed to the client, with stop, barge-in and faults.

Order: ``response.created`` → ``output_item.added`` (status "incomplete") →
``conversation.item.created`` (unless out of band) → ``content_part.added`` → the
model delay → interleaved transcript and audio deltas (text deltas for text-only)
→ ``audio.done`` → ``audio_transcript.done`` → ``content_part.done`` →
``output_item.done`` → ``response.done``. A stop (cancel, barge-in, a fault) still
sends the open ``*.done`` events and a ``response.done`` with its status.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from translator.emulator.codec import AudioFormat, encode
from translator.emulator.conversation import Item, new_id
from translator.emulator.faults import MID_RESPONSE_KINDS, FaultPlan
from translator.emulator.model import Reply
from translator.emulator.response_faults import Abort, Levers, Sender, fire

CHUNK_MS = 100
"""Audio per ``response.audio.delta`` (4.8 KB of pcm16 at 24 kHz, 6.4 KB as base64)."""
_SLICE_S = 0.05


@dataclass(frozen=True)
class ResponseSpec:
    """What to say and how; built by the connection from the session and the request."""

    reply: Reply
    delay_ms: int
    pacing: float
    output: AudioFormat
    output_format_name: str
    audio: bool
    in_conversation: bool
    voice: Any
    temperature: Any
    utterance: int | None
    item_status_on_add: str = "incomplete"


def usage(instructions: str, heard_ms: int, text: str, audio_ms: int) -> dict[str, Any]:
    in_text, in_audio = len(instructions) // 4 + 1, heard_ms // 100
    out_text, out_audio = len(text) // 4, audio_ms // 50
    return {
        "total_tokens": in_text + in_audio + out_text + out_audio,
        "input_tokens": in_text + in_audio,
        "output_tokens": out_text + out_audio,
        "input_token_details": {
            "cached_tokens": 0,
            "text_tokens": in_text,
            "audio_tokens": in_audio,
            "cached_tokens_details": {"text_tokens": 0, "audio_tokens": 0},
        },
        "output_token_details": {"text_tokens": out_text, "audio_tokens": out_audio},
    }


class ResponseRun:
    def __init__(
        self, spec: ResponseSpec, send: Sender, faults: FaultPlan, abort: Abort, usage_in: tuple[str, int]
    ):
        self.spec = spec
        self.id = new_id("resp")
        self.item = Item(
            {
                "id": new_id("item"),
                "object": "realtime.item",
                "type": "message",
                "status": spec.item_status_on_add,
                "role": "assistant",
                "content": [],
            },
        )
        self._send = send
        self._faults = faults
        self._abort = abort
        self._usage_in = usage_in
        self._stop_reason: str | None = None
        self._stop_details: dict[str, Any] | None = None
        self.text_sent = ""
        self.audio_ms_sent = 0
        self.first_audio_at: float | None = None
        self.finished = asyncio.Event()
        self.conversation_id: str | None = None

    @property
    def active(self) -> bool:
        return not self.finished.is_set()

    def request_stop(self, status: str, details: dict[str, Any]) -> None:
        if self._stop_reason is None:
            self._stop_reason, self._stop_details = status, details

    def played_ms(self) -> int:
        """Audio the client has heard if it plays in real time from the first delta."""
        if self.first_audio_at is None:
            return 0
        return min(self.audio_ms_sent, int((time.monotonic() - self.first_audio_at) * 1000))

    def _response(
        self, status: str, details: dict[str, Any] | None, output: list[dict[str, Any]]
    ) -> dict[str, Any]:
        s = self.spec
        return {
            "id": self.id,
            "object": "realtime.response",
            "status": status,
            "status_details": details,
            "output": output,
            "usage": usage(self._usage_in[0], self._usage_in[1], self.text_sent, self.audio_ms_sent)
            if status != "in_progress"
            else None,
            "conversation_id": self.conversation_id,
            "modalities": ["text", "audio"] if s.audio else ["text"],
            "voice": s.voice,
            "output_audio_format": s.output_format_name,
            "temperature": s.temperature,
            "max_output_tokens": "inf",
        }

    async def _pause(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while self._stop_reason is None:
            left = end - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(min(left, _SLICE_S))

    def _chunks(self) -> list[bytes]:
        if not self.spec.audio or self.spec.reply.audio.size == 0:
            return []
        step = self.spec.output.sample_rate_hz * CHUNK_MS // 1000
        audio = self.spec.reply.audio
        return [encode(audio[i : i + step], self.spec.output) for i in range(0, audio.size, step)]

    async def run(self, on_item: Callable[[Item], str | None]) -> None:
        """Stream the response; ``on_item`` adds the assistant item to the conversation
        and returns the id of the item before it."""
        try:
            await self._run(on_item)
        finally:
            self.finished.set()

    async def _run(self, on_item: Callable[[Item], str | None]) -> None:
        s, send = self.spec, self._send
        ids = {"response_id": self.id, "item_id": self.item.id, "output_index": 0, "content_index": 0}
        await send("response.created", response=self._response("in_progress", None, []))
        if self._faults.unknown_events:
            await send(
                "rate_limits.updated",
                rate_limits=[{"name": "requests", "limit": 100, "remaining": 99, "reset_seconds": 60.0}],
            )
        await send(
            "response.output_item.added", response_id=self.id, output_index=0, item=dict(self.item.payload)
        )
        if s.in_conversation:
            await send(
                "conversation.item.created", previous_item_id=on_item(self.item), item=dict(self.item.payload)
            )
        part_type = "audio" if s.audio else "text"
        empty_part = {"type": "audio", "transcript": ""} if s.audio else {"type": "text", "text": ""}
        await send("response.content_part.added", **ids, part=empty_part)
        await self._pause(s.delay_ms / 1000)
        words = s.reply.text.split(" ") if s.reply.text else []
        chunks = self._chunks()
        steps = max(len(chunks), len(words), 1)
        fault = self._faults.take(MID_RESPONSE_KINDS, s.utterance)
        fault_at = steps // 2
        for step in range(steps):
            if self._stop_reason is not None:
                break
            if fault is not None and step == fault_at:
                await fire(fault, Levers(send, self.request_stop, self._pause, self._abort, ids))
                if self._stop_reason is not None:
                    break
            w0, w1 = -(-step * len(words) // steps), -(-(step + 1) * len(words) // steps)  # ceil: text leads
            if w1 > w0:
                delta = " ".join(words[w0:w1]) + (" " if w1 < len(words) else "")
                self.text_sent += delta
                kind = "response.audio_transcript.delta" if s.audio else "response.text.delta"
                await send(kind, **ids, delta=delta)
            if step < len(chunks):
                chunk = chunks[step]
                if self.first_audio_at is None:
                    self.first_audio_at = time.monotonic()
                await send("response.audio.delta", **ids, delta=base64.b64encode(chunk).decode("ascii"))
                chunk_ms = len(chunk) * 1000 // (s.output.sample_rate_hz * s.output.bytes_per_sample)
                self.audio_ms_sent += chunk_ms
                if s.pacing > 0:
                    await self._pause(chunk_ms / 1000 / s.pacing)
                else:
                    await asyncio.sleep(0)
        await self._finish(ids, part_type)

    async def _finish(self, ids: dict[str, Any], part_type: str) -> None:
        status = self._stop_reason or "completed"
        details = self._stop_details
        send = self._send
        if part_type == "audio":
            part: dict[str, Any] = {"type": "audio", "transcript": self.text_sent}
            await send("response.audio.done", **ids)
            await send("response.audio_transcript.done", **ids, transcript=self.text_sent)
        else:
            part = {"type": "text", "text": self.text_sent}
            await send("response.text.done", **ids, text=self.text_sent)
        await send("response.content_part.done", **ids, part=part)
        self.item.payload["status"] = "completed" if status == "completed" else "incomplete"
        self.item.payload["content"] = [part]
        self.item.audio_ms = self.audio_ms_sent
        await send(
            "response.output_item.done", response_id=self.id, output_index=0, item=dict(self.item.payload)
        )
        await send("response.done", response=self._response(status, details, [dict(self.item.payload)]))
