"""Text of each output format (pure): timestamps, cue blocks, JSONL records, console lines."""

from __future__ import annotations

import json
from typing import Any

from translator.events import Latency, SourceFinal, TranslationFinal
from translator.subtitles.core import Cue
from translator.subtitles.options import primary_language
from translator.subtitles.textunits import normalize

WEBVTT_HEADER = "WEBVTT\n\n"


def _parts(ms: int) -> tuple[int, int, int, int]:
    ms = max(0, ms)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return hours, minutes, seconds, millis


def srt_timestamp(ms: int) -> str:
    """``01:02:03,456`` (hours keep growing past 99 rather than wrapping)."""
    h, m, s, f = _parts(ms)
    return f"{h:02d}:{m:02d}:{s:02d},{f:03d}"


def vtt_timestamp(ms: int) -> str:
    """``01:02:03.456``."""
    h, m, s, f = _parts(ms)
    return f"{h:02d}:{m:02d}:{s:02d}.{f:03d}"


def console_timestamp(ms: int) -> str:
    """``00:12.4``, or ``1:02:03.4`` past the first hour (tenths, truncated)."""
    h, m, s, f = _parts(ms)
    if h:
        return f"{h}:{m:02d}:{s:02d}.{f // 100}"
    return f"{m:02d}:{s:02d}.{f // 100}"


def escape_vtt(text: str) -> str:
    """WebVTT cue text escaping: ``&``, ``<`` and ``>`` (so ``-->`` cannot appear either)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def srt_block(number: int, cue: Cue) -> str:
    text = "\n".join(cue.lines)
    return f"{number}\n{srt_timestamp(cue.start_ms)} --> {srt_timestamp(cue.end_ms)}\n{text}\n\n"


def vtt_block(cue: Cue) -> str:
    text = "\n".join(escape_vtt(line) for line in cue.lines)
    return f"{vtt_timestamp(cue.start_ms)} --> {vtt_timestamp(cue.end_ms)}\n{text}\n\n"


def _latency_fields(latency: Latency) -> dict[str, float]:
    fields = {
        "end_to_first_audio_ms": latency.end_to_first_audio_ms,
        "end_to_final_text_ms": latency.end_to_final_text_ms,
        "ear_voice_span_ms": latency.ear_voice_span_ms,
    }
    return {k: round(v, 1) for k, v in fields.items() if v is not None}


def jsonl_record(event: SourceFinal | TranslationFinal, text: str) -> str:
    """One JSON line (with its newline) for a final source or translation line."""
    record: dict[str, Any] = {
        "kind": "source" if isinstance(event, SourceFinal) else "translation",
        "source_language": event.source_language,
        "target_language": event.target_language,
        "utterance": event.utterance,
        "start_ms": event.start_ms,
        "end_ms": event.end_ms,
        "text": normalize(text),
    }
    if isinstance(event, TranslationFinal):
        latency = _latency_fields(event.latency)
        if latency:
            record["latency"] = latency
    return json.dumps(record, ensure_ascii=False, separators=(", ", ": ")) + "\n"


def console_label(source_language: str, target_language: str | None) -> str:
    source = primary_language(source_language)
    return source if target_language is None else f"{source}→{primary_language(target_language)}"


def console_line(start_ms: int, label: str, text: str) -> str:
    """``[00:12.4 en→es] ¿Dónde está la estación?`` (no newline)."""
    return f"[{console_timestamp(start_ms)} {label}] {text}"
