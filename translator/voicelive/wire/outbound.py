"""Client → service: a builder for every client event the project sends (pure).

Events are plain JSON objects, which the SDK's ``send`` takes as they are (its typed
models would refuse keys it does not know, such as ``input_items`` content parts on
older releases). Each event the service may answer with an ``error`` carries an
``EventId``: what it was for, for which utterance, on which connection or attempt.
The id is written as text on the wire and parsed back from ``error.event_id``, so
errors are matched to their cause by meaning, not by string prefix.
"""

from __future__ import annotations

import base64
import enum
from dataclasses import dataclass
from typing import Any

ClientEvent = dict[str, Any]
"""One client event, as it goes over the wire."""

MAX_APPEND_BYTES = 48_000
"""1 s of 24 kHz pcm16 per ``input_audio_buffer.append``."""


class Purpose(enum.Enum):
    """What a client event with an id of ours was for."""

    CONFIGURE = "cfg"
    COMMIT = "commit"  # an utterance's audio (client turns)
    CUT = "cut"  # a long turn ended by the client (service turns)
    FLUSH = "flush"  # the end of the input (service turns)
    RESPONSE = "resp"
    OTHER = "ev"


@dataclass(frozen=True, slots=True)
class EventId:
    purpose: Purpose
    number: int
    """The connection, or the response attempt."""
    utterance: str | None = None

    def __str__(self) -> str:
        middle = f"-{self.utterance}" if self.utterance is not None else ""
        return f"{self.purpose.value}{middle}-{self.number}"

    @classmethod
    def parse(cls, raw: str | None) -> EventId | None:
        """The id an ``error`` names, if it is one of ours (utterance ids may hold '-')."""
        if not raw or "-" not in raw:
            return None
        head, _, rest = raw.partition("-")
        middle, _, number = rest.rpartition("-")
        try:
            purpose = Purpose(head)
        except ValueError:
            return None
        if not number.isdigit():
            return None
        return cls(purpose, int(number), middle or None)


def append(pcm: bytes) -> list[ClientEvent]:
    """``pcm`` as ``input_audio_buffer.append`` events of at most ``MAX_APPEND_BYTES`` each."""
    return [
        {
            "type": "input_audio_buffer.append",
            "audio": base64.b64encode(pcm[i : i + MAX_APPEND_BYTES]).decode(),
        }
        for i in range(0, len(pcm), MAX_APPEND_BYTES)
    ]


def commit(event_id: EventId) -> ClientEvent:
    return {"type": "input_audio_buffer.commit", "event_id": str(event_id)}


def clear() -> ClientEvent:
    return {"type": "input_audio_buffer.clear"}


def delete_item(item_id: str) -> ClientEvent:
    return {"type": "conversation.item.delete", "item_id": item_id}


def create_response(event_id: EventId, input_items: list[ClientEvent] | None = None) -> ClientEvent:
    """``response.create``; with ``input_items`` the response gets its own context (and
    never cancels one in flight), without them it answers the conversation."""
    event: ClientEvent = {"type": "response.create", "event_id": str(event_id)}
    if input_items is not None:
        event["response"] = {"input_items": input_items, "cancel_previous": False}
    return event


def configure(session: dict[str, Any], event_id: EventId) -> ClientEvent:
    return {"type": "session.update", "session": session, "event_id": str(event_id)}


def user_text(text: str) -> ClientEvent:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def assistant_text(text: str) -> ClientEvent:
    return {"type": "message", "role": "assistant", "content": [{"type": "text", "text": text}]}


def user_audio(pcm: bytes) -> ClientEvent:
    """A user message holding audio (pcm16 at the session's input rate)."""
    audio = base64.b64encode(pcm).decode()
    return {"type": "message", "role": "user", "content": [{"type": "input_audio", "audio": audio}]}


def event_type(event: ClientEvent) -> str:
    return str(event["type"])
