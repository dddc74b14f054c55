"""The conversation of one connection: ordered items and the item.* operations. Pure.

Errors are :class:`ItemError` (``code``, ``message``, ``param``); the connection turns
them into ``error`` events carrying the client's ``event_id``.
"""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from translator.emulator.codec import Float32Array
from translator.emulator.model import Heard


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(10)}"


@dataclass(frozen=True)
class ItemError(Exception):
    code: str
    message: str
    param: str | None = None

    def __str__(self) -> str:
        return self.message


@dataclass
class Item:
    payload: dict[str, Any]
    audio: Float32Array = field(default_factory=lambda: np.zeros(0, np.float32))
    sample_rate_hz: int = 24_000
    heard: Heard | None = None
    audio_ms: int = 0
    """Length of the assistant audio this item carries (for truncate)."""

    @property
    def id(self) -> str:
        return str(self.payload["id"])

    @property
    def role(self) -> str | None:
        role = self.payload.get("role")
        return str(role) if role is not None else None


def user_audio_item(item_id: str, transcript: str | None) -> dict[str, Any]:
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "status": "completed",
        "role": "user",
        "content": [{"type": "input_audio", "audio": None, "transcript": transcript}],
    }


class Conversation:
    def __init__(self) -> None:
        self.items: list[Item] = []

    def last_id(self) -> str | None:
        return self.items[-1].id if self.items else None

    def find(self, item_id: Any) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise ItemError("item_not_found", f"Item with id '{item_id}' not found.", "item_id")

    def append(self, item: Item) -> str | None:
        """Add at the end; returns the previous item's id."""
        previous = self.last_id()
        self.items.append(item)
        return previous

    def create(self, raw: Any, previous_item_id: Any) -> tuple[Item, str | None]:
        """``conversation.item.create``: returns the item and the id it follows."""
        if not isinstance(raw, dict) or raw.get("type") not in {
            "message",
            "function_call",
            "function_call_output",
        }:
            raise ItemError(
                "invalid_value",
                "item.type must be message, function_call or function_call_output",
                "item.type",
            )
        payload = copy.deepcopy(raw)
        if payload["type"] == "message":
            if payload.get("role") not in {"user", "assistant", "system"}:
                raise ItemError("invalid_value", "item.role must be user, assistant or system", "item.role")
            content = payload.get("content")
            if not isinstance(content, list):
                raise ItemError("invalid_value", "item.content must be a list", "item.content")
            if payload["role"] == "assistant" and any(
                isinstance(c, dict) and c.get("type") == "audio" for c in content
            ):
                raise ItemError("invalid_value", "Assistant audio items cannot be created.", "item.content")
        if payload.get("id") and any(i.id == payload["id"] for i in self.items):
            raise ItemError("invalid_value", f"Item with id '{payload['id']}' already exists.", "item.id")
        payload.setdefault("id", new_id("item"))
        payload.setdefault("object", "realtime.item")
        payload.setdefault("status", "completed")
        item = Item(payload)
        if previous_item_id is None:
            return item, self.append(item)
        if previous_item_id == "root":
            self.items.insert(0, item)
            return item, None
        anchor = self.find(previous_item_id)
        self.items.insert(self.items.index(anchor) + 1, item)
        return item, anchor.id

    def delete(self, item_id: Any) -> None:
        self.items.remove(self.find(item_id))

    def truncate(self, item_id: Any, content_index: Any, audio_end_ms: Any) -> None:
        item = self.find(item_id)
        content = item.payload.get("content") or []
        if item.role != "assistant" or not content or content[0].get("type") != "audio":
            raise ItemError("invalid_value", "Only assistant audio items can be truncated.", "item_id")
        if content_index != 0:
            raise ItemError("invalid_value", "content_index must be 0", "content_index")
        if not isinstance(audio_end_ms, int) or audio_end_ms < 0 or audio_end_ms > item.audio_ms:
            raise ItemError(
                "invalid_value",
                f"audio_end_ms {audio_end_ms} is beyond the item's audio ({item.audio_ms} ms).",
                "audio_end_ms",
            )
        transcript = str(content[0].get("transcript") or "")
        words = transcript.split()
        keep = round(len(words) * audio_end_ms / item.audio_ms) if item.audio_ms else 0
        content[0]["transcript"] = " ".join(words[:keep])
        item.audio_ms = audio_end_ms

    def latest_heard(self) -> Item | None:
        """The newest user item the model has heard (the one a response answers)."""
        for item in reversed(self.items):
            if item.role == "user" and item.heard is not None:
                return item
        return None
