"""Input audio transcription events for a committed user item.

Cascaded ordering sends ``transcription.completed`` at once (before the item is
created); realtime ordering sends ``.delta`` (the whole text) and ``.completed``
later, after the running response's ``response.done``. A ``transcription_failed``
fault sends ``.failed`` instead. When the session's ``include`` asks for
``item.input_audio_transcription.phrases``, ``.completed`` carries ``phrases[]``:
one per scenario utterance heard, with that utterance's language as ``locale``
(no word timings: ``words`` is empty).
"""

from __future__ import annotations

import asyncio
from typing import Any

from translator.emulator.conversation import Item
from translator.emulator.model import Heard
from translator.emulator.options import EmulatorOptions
from translator.emulator.outbox import Outbox
from translator.emulator.responder import Responder
from translator.emulator.state import SessionState

PHRASES = "item.input_audio_transcription.phrases"
_FAILED = {
    "type": "transcription_error",
    "code": "audio_unintelligible",
    "message": "Emulated transcription failure.",
    "param": None,
}


def phrases(heard: Heard | None) -> list[dict[str, Any]]:
    """``phrases[]`` for what the model heard (unscripted speech: one phrase, no locale)."""
    if heard is None or not heard.transcript:
        return []
    if not heard.phrases:
        return [
            {
                "offset_milliseconds": 0,
                "duration_milliseconds": heard.duration_ms,
                "text": heard.transcript,
                "words": [],
            }
        ]
    return [
        {
            "offset_milliseconds": p.offset_ms,
            "duration_milliseconds": p.duration_ms,
            "text": p.text,
            "words": [],
            "locale": p.locale,
            "confidence": p.confidence,
        }
        for p in heard.phrases
    ]


class Transcriber:
    def __init__(
        self, state: SessionState, outbox: Outbox, options: EmulatorOptions, responder: Responder
    ) -> None:
        self._state, self._outbox, self._options, self._responder = state, outbox, options, responder

    async def send(self, item: Item, failed: bool) -> None:
        ids = {"item_id": item.id, "content_index": 0}
        if failed:
            await self._outbox.send(
                "conversation.item.input_audio_transcription.failed", **ids, error=dict(_FAILED)
            )
            return
        transcript = item.heard.transcript if item.heard else ""
        item.payload["content"][0]["transcript"] = transcript
        if self._state.realtime and transcript:
            await self._outbox.send(
                "conversation.item.input_audio_transcription.delta", **ids, delta=transcript
            )
        extra: dict[str, Any] = {}
        if PHRASES in (self._state.config.get("include") or []):
            extra["phrases"] = phrases(item.heard)
        await self._outbox.send(
            "conversation.item.input_audio_transcription.completed", **ids, transcript=transcript, **extra
        )

    async def send_late(self, item: Item, failed: bool) -> None:
        """Realtime ordering: after ``transcript_delay_ms`` and the running response."""
        await asyncio.sleep(max(self._options.transcript_delay_ms / 1000, 0.01))
        await self._responder.wait_idle()
        await self.send(item, failed)
