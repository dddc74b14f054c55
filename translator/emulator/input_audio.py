"""The input audio buffer of one connection: ``append``/``commit``/``clear``, the
session-wide audio clock, the VAD turns and the commit of a user item.

``append`` never replies. The clock counts every appended millisecond at the
configured input rate; ``speech_started.audio_start_ms`` includes the prefix
padding. Speech start and stop share one item id, which the commit uses. Between
turns the buffer keeps only the last ``max(prefix_padding_ms, 1000)`` ms (trimmed
in 2 s steps), so an hour of silence costs no memory.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import numpy as np

from translator.emulator.codec import Float32Array, decode, input_format
from translator.emulator.config import vad_settings
from translator.emulator.conversation import Item, new_id, user_audio_item
from translator.emulator.faults import FaultPlan
from translator.emulator.model import Model
from translator.emulator.options import MAX_APPEND_BYTES, MAX_BUFFERED_MS, EmulatorOptions
from translator.emulator.outbox import Outbox, TaskSet
from translator.emulator.responder import Responder
from translator.emulator.state import SessionState
from translator.emulator.transcription import Transcriber
from translator.emulator.vad import EnergyVad


class InputAudio:
    def __init__(
        self,
        state: SessionState,
        outbox: Outbox,
        model: Model,
        faults: FaultPlan,
        options: EmulatorOptions,
        tasks: TaskSet,
        responder: Responder,
    ) -> None:
        self._state, self._outbox, self._model, self._faults = state, outbox, model, faults
        self._options, self._tasks, self._responder = options, tasks, responder
        self._transcriber = Transcriber(state, outbox, options, responder)
        self._buffer: list[Float32Array] = []
        self._buffer_start_ms = 0.0
        self._clock_ms = 0.0
        self._vad: EnergyVad | None = None
        self._speech_item: str | None = None
        self._speech_start_ms = 0
        self._spoken_items = 0
        self.reset_vad()

    def reset_vad(self) -> None:
        """A fresh detector for the current turn detection settings (None: off)."""
        settings = vad_settings(self._state.config["turn_detection"])
        rate = self._state.input_rate_hz
        self._vad = EnergyVad(settings, rate, int(self._clock_ms)) if settings else None
        self._speech_item = None

    def release(self) -> None:
        """Drop the buffered audio (the connection is closed)."""
        self._buffer = []

    async def on_append(self, event: dict[str, Any]) -> None:
        encoded = event.get("audio") or ""
        if isinstance(encoded, str) and len(encoded) * 3 // 4 > MAX_APPEND_BYTES:
            await self._outbox.error(
                "invalid_value",
                f"audio exceeds the {MAX_APPEND_BYTES // (1024 * 1024)} MiB one append may carry.",
                "audio",
                event.get("event_id"),
            )
            return
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, TypeError):
            await self._outbox.error(
                "invalid_value", "audio must be base64 text.", "audio", event.get("event_id")
            )
            return
        cfg = self._state.config
        fmt = input_format(cfg["input_audio_format"], cfg["input_audio_sampling_rate"])
        samples = decode(raw, fmt)
        self._buffer.append(samples)
        self._clock_ms += samples.size * 1000 / fmt.sample_rate_hz
        if self._clock_ms - self._buffer_start_ms > MAX_BUFFERED_MS:  # bounded: drop the oldest
            self._take_buffer(self._clock_ms - MAX_BUFFERED_MS, self._clock_ms - MAX_BUFFERED_MS)
        if self._vad is None:
            return
        for vad_event in self._vad.push(samples):
            if vad_event.kind == "started":
                await self._speech_started(vad_event.at_ms)
            else:
                await self._speech_stopped(vad_event.at_ms)
        if not self._vad.speaking:
            self._trim_buffer(self._clock_ms - max(self._vad.settings.prefix_padding_ms, 1000))

    async def on_commit(self, event: dict[str, Any]) -> None:
        if not any(b.size for b in self._buffer):
            await self._outbox.error(
                "input_audio_buffer_commit_empty",
                "Error committing input audio buffer: the buffer is empty.",
                None,
                event.get("event_id"),
            )
            return
        audio = self._take_buffer(self._buffer_start_ms, self._clock_ms)
        if self._vad is not None and self._vad.speaking and self._speech_item is not None:
            # A manual commit "during VAD activation" [SRC speech_started docstring]: the
            # speech so far is committed under the turn's id, and the speech goes on as a
            # new item, which ``speech_stopped`` then names. Which id the real service gives
            # the commit is not documented [?]; the client takes either.
            item_id, self._speech_item = self._speech_item, new_id("item")
            self._speech_start_ms = int(self._clock_ms)
            await self._commit(item_id, audio, auto_response=False)
            return
        self.reset_vad()
        await self._commit(new_id("item"), audio, auto_response=False)

    async def on_clear(self, event: dict[str, Any]) -> None:
        self._buffer, self._buffer_start_ms = [], self._clock_ms
        self.reset_vad()
        if self._options.send_cleared:
            await self._outbox.send("input_audio_buffer.cleared")

    def _take_buffer(self, start_ms: float, end_ms: float) -> Float32Array:
        audio = np.concatenate(self._buffer) if self._buffer else np.zeros(0, np.float32)
        rate = self._state.input_rate_hz
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
        await self._outbox.send(
            "input_audio_buffer.speech_started", audio_start_ms=at_ms, item_id=self._speech_item
        )
        await self._responder.barge_in()

    async def _speech_stopped(self, at_ms: int) -> None:
        item_id = self._speech_item or new_id("item")
        self._speech_item = None
        await self._outbox.send("input_audio_buffer.speech_stopped", audio_end_ms=at_ms, item_id=item_id)
        audio = self._take_buffer(self._speech_start_ms, at_ms)
        auto_response = bool(self._state.turn_detection.get("create_response", True))
        await self._commit(item_id, audio, auto_response)

    async def _commit(self, item_id: str, audio: Float32Array, auto_response: bool) -> None:
        state = self._state
        rate = state.input_rate_hz
        heard = self._model.hear(audio, rate, self._spoken_items)
        self._spoken_items += heard.has_speech
        previous = state.conversation.last_id()
        await self._outbox.send("input_audio_buffer.committed", previous_item_id=previous, item_id=item_id)
        transcribe = not state.realtime or state.config["input_audio_transcription"] is not None
        failed = transcribe and self._faults.take({"transcription_failed"}, heard.utterance) is not None
        item = Item(user_audio_item(item_id, None), audio, rate, heard)
        if not state.realtime and transcribe:
            await self._transcriber.send(item, failed)
        state.conversation.append(item)
        await self._outbox.send("conversation.item.created", previous_item_id=previous, item=item.payload)
        if state.realtime and transcribe:
            self._tasks.spawn(self._transcriber.send_late(item, failed), "transcription")
        if auto_response:
            await self._responder.start({}, None, None)
