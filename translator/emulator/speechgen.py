"""Make a speech recording and its emulator scenario from a script, with espeak-ng.

The recording is synthesized word by word, so every word's start and end on the
recording's timeline is known exactly; the scripted model (``model.py``) uses those
times to say which words a committed stretch of audio holds. That is what lets tests
check "every word once" across cuts, reconnects and resends.

A script is a list of utterances: ``{"language": "en-US", "text": "...",
"translations": {"es-ES": "..."}}``. Gaps between words are short (``word_gap_ms``),
gaps between utterances long (``pause_ms``); ``noise_dbfs`` mixes in background
noise so that voice-activity detection is tested on something like a room.

Needs the ``espeak-ng`` program (Debian package ``espeak-ng``).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
import soxr
import yaml

SAMPLE_RATE_HZ = 24_000

_ESPEAK_VOICES = {"en": "en-us", "es": "es", "zh": "cmn", "fr": "fr", "de": "de", "ja": "ja", "it": "it"}


class SpeechGenError(RuntimeError):
    """espeak-ng is missing or failed."""


@dataclass(frozen=True)
class ScriptLine:
    language: str
    text: str
    translations: dict[str, str] = field(default_factory=dict)


def _voice(language: str) -> str:
    return _ESPEAK_VOICES.get(language.split("-")[0].lower(), language.split("-")[0].lower())


def _split_words(text: str, language: str) -> list[str]:
    if language.lower().startswith(("zh", "ja")):
        # No spaces in CJK scripts: synthesize clause by clause.
        parts: list[str] = []
        current = ""
        for ch in text:
            current += ch
            if ch in "，。？！、,.?!":
                parts.append(current)
                current = ""
        if current.strip():
            parts.append(current)
        return [p for p in parts if p.strip()]
    return text.split()


def _espeak(word: str, language: str, speed_wpm: int, workdir: Path) -> np.ndarray:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise SpeechGenError("espeak-ng is not installed (apt-get install espeak-ng)")
    out = workdir / "w.wav"
    proc = subprocess.run(
        [exe, "-v", _voice(language), "-s", str(speed_wpm), "-w", str(out), word],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SpeechGenError(f"espeak-ng failed: {proc.stderr.decode(errors='replace').strip()}")
    data, rate = soundfile.read(out, dtype="float32", always_2d=False)
    if data.ndim > 1:
        data = data.mean(axis=1)
    data = soxr.resample(data, rate, SAMPLE_RATE_HZ)
    return _trim(np.asarray(data, dtype=np.float32))


def _trim(x: np.ndarray, floor: float = 0.01) -> np.ndarray:
    loud = np.flatnonzero(np.abs(x) > floor)
    if loud.size == 0:
        return x[:0]
    return x[loud[0] : loud[-1] + 1]


def synthesize(
    script: Sequence[ScriptLine],
    wav_path: Path,
    *,
    lead_ms: int = 600,
    pause_ms: int = 1200,
    word_gap_ms: int = 90,
    tail_ms: int = 1500,
    speed_wpm: int = 165,
    noise_dbfs: float | None = -50.0,
    seed: int = 7,
) -> dict[str, Any]:
    """Write the recording to ``wav_path`` and return its scenario (a plain dict)."""
    ms = SAMPLE_RATE_HZ // 1000
    pieces: list[np.ndarray] = [np.zeros(lead_ms * ms, np.float32)]
    cursor = lead_ms * ms
    utterances: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, line in enumerate(script):
            if i:
                pieces.append(np.zeros(pause_ms * ms, np.float32))
                cursor += pause_ms * ms
            words: list[list[Any]] = []
            for j, word in enumerate(_split_words(line.text, line.language)):
                if j:
                    pieces.append(np.zeros(word_gap_ms * ms, np.float32))
                    cursor += word_gap_ms * ms
                audio = _espeak(word, line.language, speed_wpm, Path(tmp))
                words.append([word, cursor // ms, (cursor + audio.size) // ms])
                pieces.append(audio)
                cursor += audio.size
            utterances.append(
                {
                    "language": line.language,
                    "start_ms": words[0][1] if words else cursor // ms,
                    "end_ms": words[-1][2] if words else cursor // ms,
                    "transcript": line.text,
                    "translations": dict(line.translations),
                    "words": words,
                }
            )
    pieces.append(np.zeros(tail_ms * ms, np.float32))
    signal = np.concatenate(pieces)
    peak = float(np.max(np.abs(signal))) or 1.0
    signal = signal * (0.5 / peak)
    if noise_dbfs is not None:
        rng = np.random.default_rng(seed)
        signal = signal + rng.normal(0.0, 10 ** (noise_dbfs / 20), signal.size).astype(np.float32)
    soundfile.write(wav_path, np.clip(signal, -1, 1), SAMPLE_RATE_HZ, subtype="PCM_16")
    return {"audio": wav_path.name, "utterances": utterances}


def write_scenario(scenario: dict[str, Any], path: Path) -> None:
    path.write_text(
        yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False, default_flow_style=None, width=120),
        encoding="utf-8",
    )
