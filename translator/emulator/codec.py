"""Wire audio formats: decode what clients append, encode what the emulator speaks.

Pure functions over numpy arrays. Internally audio is mono float32 in [-1, 1].
Formats (``input_audio_format`` / ``output_audio_format`` values):

- ``pcm16``: signed 16-bit little-endian at ``input_audio_sampling_rate`` (input) or 24 kHz (output)
- ``pcm16_8000hz``, ``pcm16_16000hz``, ``pcm16-8000hz`` ... ``pcm16_48000hz``: pcm16 at that rate
- ``g711_ulaw`` and ``g711_alaw``: 8 kHz, one byte per sample

G.711 is implemented here with numpy (``audioop`` is deprecated and gone in 3.13).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import soxr

Float32Array = npt.NDArray[np.float32]

INPUT_FORMATS = frozenset({"pcm16", "g711_ulaw", "g711_alaw"})
INPUT_RATES_HZ = frozenset({8000, 16000, 24000, 44100})  # 44100: the SDK's live tests expect it
DEFAULT_OUTPUT_RATE_HZ = 24_000
_PCM_RATE = re.compile(r"^pcm16[_-](\d{4,5})hz$")


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """A concrete wire encoding: ``encoding`` is ``pcm16``, ``ulaw`` or ``alaw``."""

    encoding: str
    sample_rate_hz: int

    @property
    def bytes_per_sample(self) -> int:
        return 2 if self.encoding == "pcm16" else 1

    def ms_to_bytes(self, ms: float) -> int:
        return int(self.sample_rate_hz * ms / 1000) * self.bytes_per_sample


def input_format(name: str, sampling_rate_hz: int) -> AudioFormat:
    """The format of appended audio. Raises ``ValueError`` on an unknown name."""
    if name == "g711_ulaw":
        return AudioFormat("ulaw", 8000)
    if name == "g711_alaw":
        return AudioFormat("alaw", 8000)
    if name == "pcm16":
        return AudioFormat("pcm16", sampling_rate_hz)
    raise ValueError(f"unsupported input_audio_format {name!r}")


def output_format(name: str | None) -> AudioFormat:
    """The format of ``response.audio.delta``; unknown names fall back to pcm16 at 24 kHz."""
    if name == "g711_ulaw":
        return AudioFormat("ulaw", 8000)
    if name == "g711_alaw":
        return AudioFormat("alaw", 8000)
    match = _PCM_RATE.match(name or "")
    if match:
        return AudioFormat("pcm16", int(match.group(1)))
    return AudioFormat("pcm16", DEFAULT_OUTPUT_RATE_HZ)


def is_known_output_format(name: str) -> bool:
    return name in {"pcm16", "g711_ulaw", "g711_alaw"} or bool(_PCM_RATE.match(name))


# --- G.711 -------------------------------------------------------------------------------------

_ULAW_BIAS = 0x84
_ULAW_CLIP = 32635


def _ulaw_decode_table() -> npt.NDArray[np.int16]:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = u & 0x80
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    magnitude = (((mantissa << 3) + _ULAW_BIAS) << exponent) - _ULAW_BIAS
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


def _alaw_decode_table() -> npt.NDArray[np.int16]:
    a = np.arange(256, dtype=np.int32) ^ 0x55
    sign = a & 0x80
    exponent = (a >> 4) & 0x07
    mantissa = a & 0x0F
    magnitude = np.where(exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << (exponent - 1))
    return np.where(sign != 0, magnitude, -magnitude).astype(np.int16)


_ULAW_TABLE = _ulaw_decode_table()
_ALAW_TABLE = _alaw_decode_table()


_ULAW_SEG_END = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF], dtype=np.int32)
_ALAW_SEG_END = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF], dtype=np.int32)


def _ulaw_encode(x: npt.NDArray[np.int16]) -> bytes:
    """The CCITT reference algorithm (as in Sun's g711.c), on 14-bit samples."""
    s14 = x.astype(np.int32) >> 2
    mask = np.where(s14 < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(s14), 8159) + 0x21
    seg = np.searchsorted(_ULAW_SEG_END, mag)
    uval = np.where(seg >= 8, 0x7F, (np.minimum(seg, 7) << 4) | ((mag >> (np.minimum(seg, 7) + 1)) & 0x0F))
    return ((uval ^ mask) & 0xFF).astype(np.uint8).tobytes()


def _alaw_encode(x: npt.NDArray[np.int16]) -> bytes:
    """The CCITT reference algorithm (as in Sun's g711.c), on 13-bit samples."""
    s13 = x.astype(np.int32) >> 3
    mask = np.where(s13 >= 0, 0xD5, 0x55)
    mag = np.where(s13 >= 0, s13, -s13 - 1)
    seg = np.searchsorted(_ALAW_SEG_END, mag)
    low = np.where(seg < 2, (mag >> 1) & 0x0F, (mag >> np.maximum(seg, 1)) & 0x0F)
    aval = np.where(seg >= 8, 0x7F, (np.minimum(seg, 7) << 4) | low)
    return ((aval ^ mask) & 0xFF).astype(np.uint8).tobytes()


# --- conversions ---------------------------------------------------------------------------------


def decode(data: bytes, fmt: AudioFormat) -> Float32Array:
    """Wire bytes to float32 samples. A trailing odd byte of pcm16 is dropped."""
    if fmt.encoding == "pcm16":
        usable = len(data) - len(data) % 2
        ints = np.frombuffer(data[:usable], dtype="<i2")
    else:
        table = _ULAW_TABLE if fmt.encoding == "ulaw" else _ALAW_TABLE
        ints = table[np.frombuffer(data, dtype=np.uint8)]
    return (ints.astype(np.float32) / 32768.0).astype(np.float32)


def to_int16(samples: Float32Array) -> npt.NDArray[np.int16]:
    return np.round(np.clip(samples, -1.0, 32767 / 32768) * 32768.0).astype(np.int16)


def encode(samples: Float32Array, fmt: AudioFormat) -> bytes:
    """Float32 samples (already at ``fmt.sample_rate_hz``) to wire bytes."""
    ints = to_int16(samples)
    if fmt.encoding == "pcm16":
        return ints.astype("<i2").tobytes()
    return _ulaw_encode(ints) if fmt.encoding == "ulaw" else _alaw_encode(ints)


def resample(samples: Float32Array, from_hz: int, to_hz: int) -> Float32Array:
    if from_hz == to_hz or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    return np.asarray(soxr.resample(samples, from_hz, to_hz), dtype=np.float32)
