"""Input audio transcription events for a committed user item.

Cascaded ordering sends ``transcription.completed`` at once (before the item is
created); realtime ordering sends ``.delta`` (the whole text) and ``.completed``
later, after the running response's ``response.done``. A ``transcription_failed``
fault sends ``.failed`` instead.
"""

from __future__ import annotations

import asyncio

from translator.emulator.conversation import Item
from translator.emulator.options import EmulatorOptions
from translator.emulator.outbox import Outbox
from translator.emulator.responder import Responder
from translator.emulator.state import SessionState

_FAILED = {
    "type": "transcription_error",
    "code": "audio_unintelligible",
    "message": "Emulated transcription failure.",
    "param": None,
}


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
        await self._outbox.send(
            "conversation.item.input_audio_transcription.completed", **ids, transcript=transcript
        )

    async def send_late(self, item: Item, failed: bool) -> None:
        """Realtime ordering: after ``transcript_delay_ms`` and the running response."""
        await asyncio.sleep(max(self._options.transcript_delay_ms / 1000, 0.01))
        await self._responder.wait_idle()
        await self.send(item, failed)
