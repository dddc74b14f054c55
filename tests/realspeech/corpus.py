"""The corpus: real recordings with known text from Debian packages, and reference speech frames."""

from __future__ import annotations

import functools
import gzip
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

RATE_HZ = 24_000
FRAME_MS = 10
_FRAME = RATE_HZ * FRAME_MS // 1000

ASTERISK_SOUNDS = Path("/usr/share/asterisk/sounds")
ASTERISK_DOCS = Path("/usr/share/doc")
LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
DEBIAN_PACKAGES = (
    "asterisk-core-sounds-en",
    "asterisk-core-sounds-en-wav",
    "asterisk-core-sounds-es",
    "asterisk-core-sounds-es-wav",
    "asterisk-core-sounds-fr",
    "asterisk-core-sounds-fr-wav",
    "pocketsphinx-testdata",
)


@dataclass(frozen=True)
class Clip:
    name: str
    language: str
    """BCP-47 primary tag: en, es or fr."""
    text: str
    pcm: np.ndarray = field(repr=False)
    """Mono int16 at 24 kHz."""

    @property
    def duration_ms(self) -> int:
        return len(self.pcm) * 1000 // RATE_HZ


@dataclass(frozen=True)
class Utterance:
    text: str
    language: str
    start_ms: int
    """First reference speech frame on the recording's timeline."""
    end_ms: int
    """End of the last reference speech frame."""
    clip: str
    clip_start_ms: int
    """Where the clip's first sample lies on the recording's timeline."""


@dataclass(frozen=True)
class Recording:
    pcm: np.ndarray = field(repr=False)
    """Mono int16 at 24 kHz (after noise and gain, when applied)."""
    clean: np.ndarray = field(repr=False)
    """The speech alone, before noise and gain (same length)."""
    utterances: tuple[Utterance, ...]
    speech: np.ndarray = field(repr=False)
    """Reference speech flags, one per 10 ms frame of ``pcm``."""

    @property
    def duration_ms(self) -> int:
        return len(self.pcm) * 1000 // RATE_HZ


def missing() -> str | None:
    """Why the corpus cannot be used here (a missing package), or None."""
    needs = [
        LIBRIVOX / "transcription",
        *(ASTERISK_SOUNDS / lang / "agent-pass.wav" for lang in ("en", "es", "fr")),
        *(_transcript_path(lang) for lang in ("en", "es", "fr")),
    ]
    absent = [str(p) for p in needs if not p.exists()]
    if not absent:
        return None
    return f"real-speech corpus incomplete (install {' '.join(DEBIAN_PACKAGES)}): {absent[0]}"


def _transcript_path(language: str) -> Path:
    return ASTERISK_DOCS / f"asterisk-core-sounds-{language}" / f"core-sounds-{language}.txt.gz"


# -- loading ------------------------------------------------------------------------------


def _to_24k(path: Path) -> np.ndarray:
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    mono = data.mean(axis=1)
    if rate != RATE_HZ:
        mono = soxr.resample(mono, rate, RATE_HZ)
    return np.clip(np.round(mono * 32767.0), -32768, 32767).astype(np.int16)


@functools.cache
def asterisk_transcripts(language: str) -> dict[str, str]:
    """Prompt name (path under the language folder, without .wav) -> text, for spoken prompts."""
    path = _transcript_path(language)
    out: dict[str, str] = {}
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith(";") or ":" not in line:
                continue
            name, text = line.split(":", 1)
            text = text.strip()
            if not text or text.startswith("[") or not re.search(r"\w", text):
                continue  # tones and effects
            out[name.strip()] = text
    return out


@functools.cache
def asterisk_clip(language: str, name: str) -> Clip:
    text = asterisk_transcripts(language)[name]
    pcm = _to_24k(ASTERISK_SOUNDS / language / f"{name}.wav")
    return Clip(f"asterisk/{language}/{name}", language, text, pcm)


def asterisk_clips(language: str, min_words: int = 1) -> list[Clip]:
    """Every prompt of ``language`` whose wav exists and whose text has ``min_words`` words, by name."""
    out = []
    for name, text in sorted(asterisk_transcripts(language).items()):
        if len(text.split()) >= min_words and (ASTERISK_SOUNDS / language / f"{name}.wav").exists():
            out.append(asterisk_clip(language, name))
    return out


@functools.cache
def librivox_clips() -> tuple[Clip, ...]:
    """The five LibriVox clips (English, one reader), in file order."""
    out = []
    for line in (LIBRIVOX / "transcription").read_text().splitlines():
        m = re.match(r"<s>\s*(.*?)\s*</s>\s*\((\S+)\)", line.strip())
        if m:
            name = m.group(2)
            out.append(Clip(f"librivox/{name}", "en", m.group(1), _to_24k(LIBRIVOX / f"{name}.wav")))
    return tuple(out)


# -- reference speech ---------------------------------------------------------------------


def frame_levels_db(pcm: np.ndarray) -> np.ndarray:
    n = len(pcm) // _FRAME
    f = pcm[: n * _FRAME].astype(np.float64).reshape(n, _FRAME) / 32768.0
    return np.asarray(10.0 * np.log10((f * f).mean(axis=1) + 1e-12))


def _fill(flags: np.ndarray, value: bool, shorter_than: int, inner_only: bool) -> np.ndarray:
    flags = flags.copy()
    edges = np.flatnonzero(np.diff(flags.astype(np.int8))) + 1
    starts = np.concatenate([[0], edges]).astype(int)
    ends = np.concatenate([edges, [flags.size]]).astype(int)
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        if flags.size and bool(flags[a]) == value and b - a < shorter_than:
            if not (inner_only and (a == 0 or b == flags.size)):
                flags[a:b] = not value
    return flags


def reference_speech(clean: np.ndarray) -> np.ndarray:
    """Speech flags per 10 ms frame of one clean clip (see the module docstring)."""
    levels = frame_levels_db(clean)
    if not levels.size:
        return np.zeros(0, dtype=bool)
    floor = max(float(np.percentile(levels, 5)), -90.0)
    flags = (levels > floor + 20.0) & (levels > levels.max() - 50.0)
    flags = _fill(flags, value=False, shorter_than=12, inner_only=True)
    return _fill(flags, value=True, shorter_than=3, inner_only=False)
