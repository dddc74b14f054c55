"""The ``conversation.item.*`` handlers: create, delete, retrieve, truncate.

The conversation (``conversation.py``) does the work and raises
:class:`~translator.emulator.conversation.ItemError`; here each becomes an
``error`` event carrying the client's ``event_id``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from translator.emulator.conversation import ItemError
from translator.emulator.outbox import Outbox
from translator.emulator.state import SessionState


class ItemHandlers:
    def __init__(self, state: SessionState, outbox: Outbox) -> None:
        self._state, self._outbox = state, outbox

    async def _run(self, event: dict[str, Any], op: Callable[[], Awaitable[None]]) -> None:
        try:
            await op()
        except ItemError as e:
            await self._outbox.error(e.code, e.message, e.param, event.get("event_id"))

    async def on_create(self, event: dict[str, Any]) -> None:
        async def op() -> None:
            item, previous = self._state.conversation.create(event.get("item"), event.get("previous_item_id"))
            await self._outbox.send("conversation.item.created", previous_item_id=previous, item=item.payload)

        await self._run(event, op)

    async def on_delete(self, event: dict[str, Any]) -> None:
        async def op() -> None:
            self._state.conversation.delete(event.get("item_id"))
            await self._outbox.send("conversation.item.deleted", item_id=event.get("item_id"))

        await self._run(event, op)

    async def on_retrieve(self, event: dict[str, Any]) -> None:
        async def op() -> None:
            item = self._state.conversation.find(event.get("item_id"))
            await self._outbox.send("conversation.item.retrieved", item=item.payload)

        await self._run(event, op)

    async def on_truncate(self, event: dict[str, Any]) -> None:
        async def op() -> None:
            self._state.conversation.truncate(
                event.get("item_id"), event.get("content_index"), event.get("audio_end_ms")
            )
            await self._outbox.send(
                "conversation.item.truncated",
                item_id=event.get("item_id"),
                content_index=event.get("content_index"),
                audio_end_ms=event.get("audio_end_ms"),
            )

        await self._run(event, op)
