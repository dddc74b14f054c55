"""Service → client: SDK ``ServerEvent`` → a small typed wire event (pure).

``parse`` maps through a table keyed on the event type. Unknown types map to ``None``
and are logged at debug level by the caller; they never raise.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# -- server events ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionStarted:
    session_id: str
    expires_at_s: float | None


@dataclass(frozen=True, slots=True)
class SessionConfigured:
    pass


@dataclass(frozen=True, slots=True)
class ServiceSpeechStarted:
    """The service's turn detection heard speech start (``audio_start_ms`` on the
    connection's audio clock, prefix padding included)."""

    item_id: str
    audio_ms: int


@dataclass(frozen=True, slots=True)
class ServiceSpeechStopped:
    """The service's turn detection heard speech stop (``audio_end_ms`` includes the
    silence that ended the turn)."""

    item_id: str
    audio_ms: int


@dataclass(frozen=True, slots=True)
class Committed:
    item_id: str


@dataclass(frozen=True, slots=True)
class Transcribed:
    item_id: str
    text: str
    locale: str | None = None
    """The language the service detected (``phrases[].locale``), when it says."""


@dataclass(frozen=True, slots=True)
class TranscriptionFailed:
    item_id: str
    message: str


@dataclass(frozen=True, slots=True)
class ResponseStarted:
    response_id: str


@dataclass(frozen=True, slots=True)
class OutputItem:
    response_id: str
    item_id: str


@dataclass(frozen=True, slots=True)
class TextDelta:
    response_id: str
    delta: str


@dataclass(frozen=True, slots=True)
class AudioDelta:
    response_id: str
    pcm: bytes


@dataclass(frozen=True, slots=True)
class TextDone:
    response_id: str
    text: str


@dataclass(frozen=True, slots=True)
class ResponseEnded:
    response_id: str
    status: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class ServerError:
    code: str | None
    message: str
    kind: str | None
    client_event_id: str | None


@dataclass(frozen=True, slots=True)
class Ignored:
    """An event we know and deliberately ignore (deletes, cleared, warnings...)."""

    type: str


WireEvent = (
    SessionStarted
    | SessionConfigured
    | ServiceSpeechStarted
    | ServiceSpeechStopped
    | Committed
    | Transcribed
    | TranscriptionFailed
    | ResponseStarted
    | OutputItem
    | TextDelta
    | AudioDelta
    | TextDone
    | ResponseEnded
    | ServerError
    | Ignored
)


def _str(value: Any) -> str:
    """A text field: the SDK passes through whatever JSON the server sent."""
    return value if isinstance(value, str) else ""


def _id(value: Any) -> str:
    if isinstance(value, str) and value:
        return value
    raise ValueError(f"missing or malformed id: {value!r}"[:80])


def _ms(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise ValueError(f"missing or malformed time: {value!r}"[:80])


def _expires(session: Any) -> float | None:
    value = getattr(session, "expires_at", None)
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _audio(e: Any) -> AudioDelta:
    delta = e.delta
    if isinstance(delta, str):
        delta = base64.b64decode(delta, validate=True)
    if not isinstance(delta, (bytes, bytearray)) or len(delta) % 2:
        raise ValueError("audio delta is not 16-bit PCM")
    return AudioDelta(_id(e.response_id), bytes(delta))


def _error(e: Any) -> ServerError:
    err = e.error
    return ServerError(
        getattr(err, "code", None),
        str(getattr(err, "message", "") or ""),
        getattr(err, "type", None),
        getattr(err, "event_id", None),
    )


def _done(e: Any) -> ResponseEnded:
    r = e.response
    details = getattr(r, "status_details", None)
    reason = getattr(details, "reason", None) if details is not None else None
    if reason is None and details is not None:
        err = getattr(details, "error", None)
        reason = getattr(err, "code", None) or getattr(err, "message", None) if err is not None else None
    status = getattr(r.status, "value", r.status)  # the SDK gives an enum member (a str subclass)
    return ResponseEnded(_id(r.id), _str(str(status)), reason if isinstance(reason, str) else None)


def _transcribed(e: Any) -> Transcribed:
    return Transcribed(_id(e.item_id), _str(e.transcript), _main_locale(getattr(e, "phrases", None) or []))


def _main_locale(phrases: list[Any]) -> str | None:
    """The locale of most of the text: the one whose phrases hold the most characters.
    A tie goes to the locale heard first, so a decision never depends on hash order."""
    weight: dict[str, int] = {}
    for p in phrases:
        locale = _str(getattr(p, "locale", None)) if p is not None else ""
        if locale:
            weight[locale] = weight.get(locale, 0) + max(1, len(_str(getattr(p, "text", None))))
    return max(weight, key=weight.__getitem__) if weight else None  # max keeps the first of equals


def _failed(e: Any) -> TranscriptionFailed:
    err = getattr(e, "error", None)
    return TranscriptionFailed(_id(e.item_id), _str(getattr(err, "message", "")) or "transcription failed")


_TABLE: dict[str, Callable[[Any], WireEvent]] = {
    "session.created": lambda e: SessionStarted(_str(e.session.id), _expires(e.session)),
    "session.updated": lambda e: SessionConfigured(),
    "input_audio_buffer.speech_started": lambda e: ServiceSpeechStarted(
        _id(e.item_id), _ms(e.audio_start_ms)
    ),
    "input_audio_buffer.speech_stopped": lambda e: ServiceSpeechStopped(_id(e.item_id), _ms(e.audio_end_ms)),
    "input_audio_buffer.committed": lambda e: Committed(_id(e.item_id)),
    "conversation.item.input_audio_transcription.completed": _transcribed,
    "conversation.item.input_audio_transcription.failed": _failed,
    "response.created": lambda e: ResponseStarted(_id(e.response.id)),
    "response.output_item.added": lambda e: OutputItem(_id(e.response_id), _id(e.item.id)),
    "response.audio_transcript.delta": lambda e: TextDelta(_id(e.response_id), _str(e.delta)),
    "response.text.delta": lambda e: TextDelta(_id(e.response_id), _str(e.delta)),
    "response.audio.delta": _audio,
    "response.audio_transcript.done": lambda e: TextDone(_id(e.response_id), _str(e.transcript)),
    "response.text.done": lambda e: TextDone(_id(e.response_id), _str(e.text)),
    "response.done": _done,
    "error": _error,
}

_IGNORED = (
    "input_audio_buffer.cleared",
    "conversation.item.created",
    "conversation.item.deleted",
    "conversation.item.truncated",
    "conversation.item.retrieved",
    "conversation.item.input_audio_transcription.delta",
    "response.content_part.added",
    "response.content_part.done",
    "response.output_item.done",
    "response.audio.done",
    "warning",
    "response.audio_timestamp.delta",
    "response.audio_timestamp.done",
)
for _name in _IGNORED:
    _TABLE[_name] = lambda e: Ignored(str(e.type))


def parse(event: Any) -> WireEvent | None:
    """Map one SDK event to a wire event; ``None`` for types we do not know."""
    handler = _TABLE.get(str(getattr(event, "type", "")))
    if handler is None:
        return None
    return handler(event)
