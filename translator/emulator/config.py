"""Session configuration: defaults, ``session.update`` merging and validation. Pure.

Merge rule: top-level keys are shallow-merged; nested objects (``turn_detection``,
``voice``, ``input_audio_transcription``...) replace the old value whole; ``null``
switches a feature off. Turn detection is completed with its defaults, so the
effective configuration in ``session.updated`` is always full.

Invalid values raise :class:`ConfigError`; ``fatal`` ones (an unknown voice) end
the connection, the others leave the session unchanged.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from translator.emulator.codec import INPUT_FORMATS, INPUT_RATES_HZ
from translator.emulator.vad import VadSettings

REALTIME_MODEL_PREFIXES = (
    "gpt-realtime",
    "gpt-4o-realtime",
    "gpt-4o-mini-realtime",
    "phi4-mm-realtime",
    "azure-realtime",
)
KNOWN_MODEL = re.compile(r"^(gpt-|phi4|azure-realtime|o\d)", re.IGNORECASE)
OPENAI_VOICES = frozenset(
    {"alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar"}
)
AZURE_VOICE_TYPES = frozenset({"azure-standard", "azure-custom", "azure-personal", "avatar-voice-sync"})
_AZURE_VOICE_NAME = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})+-[A-Za-z0-9]+(Neural|:[A-Za-z0-9]+)$")
SESSION_KEYS = frozenset(
    "model modalities animation voice instructions input_audio_sampling_rate input_audio_format "
    "output_audio_format turn_detection input_audio_noise_reduction input_audio_echo_cancellation avatar "
    "input_audio_transcription output_audio_timestamp_types tools tool_choice parallel_tool_calls "
    "temperature max_response_output_tokens reasoning_effort interim_response include metadata agent".split()
)
VAD_TYPES = frozenset(
    {"server_vad", "azure_semantic_vad", "azure_semantic_vad_en", "azure_semantic_vad_multilingual"}
)
_VAD_DEFAULTS: dict[str, Any] = {
    "threshold": 0.5,
    "prefix_padding_ms": 400,
    "silence_duration_ms": 500,
    "speech_duration_ms": 200,
    "create_response": True,
    "interrupt_response": True,
    "auto_truncate": False,
}
_SEMANTIC_OVERRIDES = {"prefix_padding_ms": 420, "speech_duration_ms": 80, "remove_filler_words": False}


@dataclass(frozen=True)
class ConfigError(Exception):
    code: str
    message: str
    param: str | None = None
    fatal: bool = False

    def __str__(self) -> str:
        return self.message


def is_realtime_model(model: str) -> bool:
    return model.lower().startswith(REALTIME_MODEL_PREFIXES)


def default_session(model: str, session_id: str, expires_at: int) -> dict[str, Any]:
    realtime = is_realtime_model(model)
    return {
        "id": session_id,
        "object": "realtime.session",
        "model": model,
        "expires_at": expires_at,
        "modalities": ["text", "audio"],
        "instructions": "",
        "voice": "alloy" if realtime else {"type": "azure-standard", "name": "en-US-AvaNeural"},
        "input_audio_format": "pcm16",
        "input_audio_sampling_rate": 24000,
        "output_audio_format": "pcm16",
        "input_audio_transcription": None,
        "turn_detection": {"type": "server_vad", **_VAD_DEFAULTS},
        "input_audio_noise_reduction": None,
        "input_audio_echo_cancellation": None,
        "output_audio_timestamp_types": [],
        "tools": [],
        "tool_choice": "auto",
        "temperature": 0.8,
        "max_response_output_tokens": "inf",
    }


def _invalid(param: str, message: str, code: str = "invalid_value") -> ConfigError:
    return ConfigError(code, message, f"session.{param}")


def check_voice(voice: Any) -> None:
    """Raise a fatal ConfigError for a voice the service would not find."""
    if isinstance(voice, str):
        if voice.lower() in OPENAI_VOICES:
            return
        raise ConfigError("invalid_voice", f"Voice '{voice}' is not supported.", "session.voice", fatal=True)
    if isinstance(voice, dict):
        kind, name = voice.get("type"), voice.get("name")
        if kind == "openai" and isinstance(name, str) and name.lower() in OPENAI_VOICES:
            return
        if kind in AZURE_VOICE_TYPES and isinstance(name, str) and _AZURE_VOICE_NAME.match(name):
            return
        if kind == "azure-realtime-native" and isinstance(name, str) and name.isalpha():
            return
        raise ConfigError("invalid_voice", f"Voice {voice!r} was not found.", "session.voice", fatal=True)
    raise ConfigError("invalid_voice", "voice must be a string or an object", "session.voice", fatal=True)


def _turn_detection(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _invalid("turn_detection", "turn_detection must be an object or null")
    kind = value.get("type")
    if kind not in VAD_TYPES:
        raise _invalid("turn_detection.type", f"Unsupported turn detection type {kind!r}")
    merged = {"type": kind, **_VAD_DEFAULTS, **(_SEMANTIC_OVERRIDES if kind != "server_vad" else {}), **value}
    threshold = merged["threshold"]
    if not isinstance(threshold, int | float) or not 0.0 <= threshold <= 1.0:
        raise _invalid("turn_detection.threshold", f"threshold must be between 0 and 1, got {threshold!r}")
    for key in ("prefix_padding_ms", "silence_duration_ms", "speech_duration_ms"):
        if not isinstance(merged[key], int) or merged[key] < 0:
            raise _invalid(f"turn_detection.{key}", f"{key} must be a non-negative integer")
    return merged


def _check_echo_cancellation(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise _invalid("input_audio_echo_cancellation", "must be an object or null")
    source, channels = value.get("reference_source", "server"), value.get("channels", 1)
    if source == "server" and channels != 1:
        raise ConfigError(
            "invalid_ec_channels_requires_client",
            "channels=2 requires reference_source 'client'",
            "session.input_audio_echo_cancellation.channels",
        )
    if source == "client" and channels != 2:
        raise ConfigError(
            "invalid_ec_reference_channels",
            "reference_source 'client' requires channels=2",
            "session.input_audio_echo_cancellation.channels",
        )


def _check_field(key: str, value: Any) -> Any:
    if key == "voice":
        check_voice(value)
    elif key == "modalities":
        if not isinstance(value, list) or not set(value) <= {"text", "audio"} or "text" not in value:
            raise _invalid(key, "modalities must be ['text'] or ['text', 'audio']")
    elif key == "instructions" and not isinstance(value, str):
        raise _invalid(key, "instructions must be a string")
    elif key == "input_audio_format" and value not in INPUT_FORMATS:
        raise _invalid(key, f"Unsupported input_audio_format {value!r}")
    elif key == "input_audio_sampling_rate" and value not in INPUT_RATES_HZ:
        raise _invalid(key, f"Unsupported input_audio_sampling_rate {value!r} (8000, 16000, 24000 or 44100)")
    elif key == "output_audio_format" and not isinstance(value, str):
        raise _invalid(key, "output_audio_format must be a string")
    elif key == "turn_detection":
        return _turn_detection(value)
    elif key == "input_audio_echo_cancellation":
        _check_echo_cancellation(value)
    elif key == "input_audio_transcription" and value is not None:
        if not isinstance(value, dict) or not isinstance(value.get("model"), str):
            raise _invalid(key, "input_audio_transcription needs a 'model' string")
    elif key == "include" and value is not None:
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise _invalid(key, "include must be a list of strings")
    elif key == "temperature" and not (isinstance(value, int | float) and 0.0 <= value <= 2.0):
        raise _invalid(key, "temperature must be a number between 0 and 2")
    return value


def apply_update(current: dict[str, Any], update: Any) -> dict[str, Any]:
    """The effective configuration after ``update``; ``current`` is not modified."""
    if not isinstance(update, dict):
        raise ConfigError("invalid_value", "session must be an object", "session")
    checked: dict[str, Any] = {}
    for key, value in update.items():
        if key not in SESSION_KEYS:
            raise ConfigError("unknown_parameter", f"Unknown parameter: 'session.{key}'.", f"session.{key}")
        if key == "model":
            continue  # the model cannot change; the service ignores it
        checked[key] = _check_field(key, copy.deepcopy(value))
    if checked.get("input_audio_format", current["input_audio_format"]).startswith("g711"):
        checked.setdefault("input_audio_sampling_rate", 8000)
    return {**current, **checked}


def vad_settings(turn_detection: dict[str, Any] | None) -> VadSettings | None:
    if turn_detection is None:
        return None
    return VadSettings(
        threshold=float(turn_detection["threshold"]),
        prefix_padding_ms=int(turn_detection["prefix_padding_ms"]),
        silence_duration_ms=int(turn_detection["silence_duration_ms"]),
        speech_duration_ms=int(turn_detection["speech_duration_ms"]),
    )
