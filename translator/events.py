"""The internal event vocabulary: what flows from sessions to sinks.

Sessions translate wire events (``voicelive/wire/inbound.py``) into these frozen dataclasses;
subtitle writers, the player, metrics and logs consume them with ``match``.
Nothing outside ``voicelive/wire/`` knows a wire event name.

Times with ``_ms`` are on the *input audio timeline*: milliseconds of input audio
since the run started, counted from samples, never from the wall clock. They keep
rising across reconnects (``voicelive/turns_server.py`` maps the service's audio clock
back onto it). Times with ``_s`` suffixes that are wall-clock readings come from
``time.monotonic()`` (``listen/clock.py`` maps input times onto it).

A direction is named ``"<source>><target>"``, e.g. ``"en-US>es-ES"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


def direction_key(source_language: str, target_language: str) -> str:
    """The canonical name of a translation direction, used in logs and file names."""
    return f"{source_language}>{target_language}"


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    """Speech began on an input; a new utterance is open."""

    direction: str
    utterance: str
    start_ms: int


@dataclass(frozen=True, slots=True)
class SourceFinal:
    """The final transcription of an utterance that this direction will translate."""

    direction: str
    utterance: str
    source_language: str
    target_language: str
    start_ms: int
    end_ms: int
    text: str


@dataclass(frozen=True, slots=True)
class TranslationPartial:
    """Unstable translated text of the utterance being translated (whole text so far)."""

    direction: str
    utterance: str
    text: str


@dataclass(frozen=True, slots=True)
class TranslationAudio:
    """A chunk of translated speech: mono signed 16-bit little-endian PCM."""

    direction: str
    utterance: str
    pcm: bytes
    sample_rate_hz: int
    at_ms: int | None = None
    """Where this utterance's translation belongs on the input timeline (the source
    utterance's end); file sinks pad with silence up to it, players ignore it."""


@dataclass(frozen=True, slots=True)
class Latency:
    """Per-utterance latency figures, wall-clock milliseconds (None when not measured)."""

    end_to_first_audio_ms: float | None = None
    end_to_final_text_ms: float | None = None
    ear_voice_span_ms: float | None = None


@dataclass(frozen=True, slots=True)
class TranslationFinal:
    """The final translation of an utterance. Carries the source line for bilingual cues."""

    direction: str
    utterance: str
    source_language: str
    target_language: str
    start_ms: int
    end_ms: int
    text: str
    source_text: str
    latency: Latency = field(default_factory=Latency)


@dataclass(frozen=True, slots=True)
class UtteranceSkipped:
    """This direction will give no line for this utterance (another direction translates
    it, it held no words, or it was given up). Subtitle tracks stop waiting for it."""

    direction: str
    utterance: str
    reason: str


@dataclass(frozen=True, slots=True)
class InputProgress:
    """The input audio clock reached ``now_ms`` (sent every few hundred ms of audio).

    Lets subtitle tracks fix the end of a cue once no later speech can start before it.
    """

    now_ms: int


@dataclass(frozen=True, slots=True)
class Notice:
    """Something a person watching the run should know (reconnects, drops, warnings)."""

    direction: str
    kind: Literal["reconnect", "renewal", "audio_dropped", "warning", "error"]
    message: str


TranslatorEvent = (
    SpeechStarted
    | SourceFinal
    | TranslationPartial
    | TranslationAudio
    | TranslationFinal
    | UtteranceSkipped
    | InputProgress
    | Notice
)
"""Everything a sink may receive."""
