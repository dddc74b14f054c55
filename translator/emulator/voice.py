"""The emulator's "text to speech": speech-like signals and scenario WAV files.

``synthesize_speech`` makes a deterministic voiced signal for a text: a harmonic
series on a gently falling pitch, shaped by one envelope bump per syllable-sized
stretch of characters. Its length is ``ms_per_char`` per character (min 300 ms),
so longer translations take longer to say, as with a real voice.
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile

from translator.emulator.codec import Float32Array, resample

DEFAULT_MS_PER_CHAR = 65.0
MIN_SPEECH_MS = 300
_CHARS_PER_SYLLABLE = 3
_LEVEL = 0.25


def speech_duration_ms(text: str, ms_per_char: float = DEFAULT_MS_PER_CHAR) -> int:
    return max(MIN_SPEECH_MS, int(len(text.strip()) * ms_per_char))


def synthesize_speech(
    text: str, sample_rate_hz: int, ms_per_char: float = DEFAULT_MS_PER_CHAR
) -> Float32Array:
    """A deterministic speech-like signal for ``text`` (empty text gives no samples)."""
    if not text.strip():
        return np.zeros(0, np.float32)
    n = sample_rate_hz * speech_duration_ms(text, ms_per_char) // 1000
    t = np.arange(n) / sample_rate_hz
    seed = zlib.crc32(text.encode("utf-8"))
    base_hz = 110.0 + seed % 90
    pitch = base_hz * (1.0 + 0.08 * np.sin(2 * np.pi * 0.7 * t)) * (1.0 - 0.1 * t / max(t[-1], 1e-3))
    phase = 2 * np.pi * np.cumsum(pitch) / sample_rate_hz
    harmonics = sum((0.6**k) * np.sin(k * phase) for k in range(1, 7))
    syllables = max(1, len(text.strip()) // _CHARS_PER_SYLLABLE)
    envelope = np.sin(np.pi * np.linspace(0, syllables, n)) ** 2
    signal = harmonics * envelope
    peak = float(np.max(np.abs(signal))) or 1.0
    out = np.asarray(signal * (_LEVEL / peak), dtype=np.float32)
    out.flags.writeable = False
    return out


@lru_cache(maxsize=64)
def _read_wav(path: Path) -> tuple[Float32Array, int]:
    data, rate = soundfile.read(path, dtype="float32", always_2d=True)
    return np.ascontiguousarray(data.mean(axis=1), dtype=np.float32), int(rate)


def load_wav(path: Path, sample_rate_hz: int) -> Float32Array:
    """A mono WAV resampled to ``sample_rate_hz`` (files are cached by path)."""
    data, rate = _read_wav(path)
    return resample(data, rate, sample_rate_hz)
