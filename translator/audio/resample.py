"""Pure signal helpers: downmix, stateful streaming resampling, int16 conversion, re-chunking.

Resampling each chunk on its own restarts the filter at every boundary and clicks;
:class:`StreamResampler` keeps one ``soxr.ResampleStream`` for the life of a stream,
so cutting the input anywhere gives the same output as one pass.

Quality: soxr's ``HQ`` (and ``MQ``) filters emit output in bursts of about 40 ms when fed
10-20 ms pieces, which adds that much latency; ``LQ`` emits steadily and is flat to
~9 kHz at a 24 kHz output rate, which is all of speech. So the real-time paths
(microphone, player) use :data:`REALTIME_QUALITY` and files use ``HQ``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import soxr

Float32Array = npt.NDArray[np.float32]
Int16Array = npt.NDArray[np.int16]

_INT16_SCALE = 32768.0
REALTIME_QUALITY = "LQ"


def downmix(block: npt.NDArray[np.generic]) -> Float32Array:
    """Frames x channels (or 1-D mono), any numeric dtype → mono float32 in [-1, 1]."""
    data = np.asarray(block)
    if data.dtype == np.int16:
        data = data.astype(np.float32) / _INT16_SCALE
    elif data.dtype == np.int32:
        data = (data / 2147483648.0).astype(np.float32)
    else:
        data = data.astype(np.float32, copy=False)
    if data.ndim == 2:
        data = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1, dtype=np.float32)
    return np.ascontiguousarray(data, dtype=np.float32)


def to_int16(samples: Float32Array) -> Int16Array:
    """Float [-1, 1] → int16 with clipping (never wraps around)."""
    scaled = np.clip(samples * _INT16_SCALE, -32768.0, 32767.0)
    out: Int16Array = np.rint(scaled).astype(np.int16)
    return out


def from_int16_bytes(pcm: bytes) -> Float32Array:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / _INT16_SCALE


class StreamResampler:
    """Mono float32 streaming resampler with state across calls (pass-through when rates match)."""

    def __init__(self, in_rate_hz: int, out_rate_hz: int, quality: str = "HQ") -> None:
        if in_rate_hz <= 0 or out_rate_hz <= 0:
            raise ValueError(f"sample rates must be positive, got {in_rate_hz} and {out_rate_hz}")
        self.in_rate_hz = in_rate_hz
        self.out_rate_hz = out_rate_hz
        self._stream = (
            None
            if in_rate_hz == out_rate_hz
            else soxr.ResampleStream(in_rate_hz, out_rate_hz, 1, dtype="float32", quality=quality)
        )

    def process(self, samples: Float32Array, last: bool = False) -> Float32Array:
        """Resample the next piece; ``last=True`` flushes the filter's tail (then start a new one)."""
        if self._stream is None:
            return samples
        out = self._stream.resample_chunk(np.ascontiguousarray(samples, dtype=np.float32), last=last)
        return np.asarray(out, dtype=np.float32)

    def flush(self) -> Float32Array:
        return self.process(np.zeros(0, dtype=np.float32), last=True)


class Rechunker:
    """Cut a stream of int16 samples into fixed-size pieces; the last piece may be shorter."""

    def __init__(self, chunk_samples: int) -> None:
        if chunk_samples <= 0:
            raise ValueError(f"chunk size must be positive, got {chunk_samples}")
        self.chunk_samples = chunk_samples
        self._pending = np.zeros(0, dtype=np.int16)

    def push(self, samples: Int16Array) -> list[Int16Array]:
        data = np.concatenate((self._pending, samples)) if self._pending.size else samples
        full = data.size // self.chunk_samples * self.chunk_samples
        pieces = [data[i : i + self.chunk_samples] for i in range(0, full, self.chunk_samples)]
        self._pending = data[full:].copy()
        return pieces

    def flush(self) -> list[Int16Array]:
        rest, self._pending = self._pending, np.zeros(0, dtype=np.int16)
        return [rest] if rest.size else []


class Conditioner:
    """Any-rate, any-channel blocks → fixed-size mono int16 chunks at ``out_rate_hz`` (the shared pipeline
    behind the file source and the microphone)."""

    def __init__(self, in_rate_hz: int, out_rate_hz: int, chunk_ms: int, quality: str = "HQ") -> None:
        if chunk_ms <= 0:
            raise ValueError(f"chunk_ms must be positive, got {chunk_ms}")
        self._resampler = StreamResampler(in_rate_hz, out_rate_hz, quality)
        self._rechunker = Rechunker(out_rate_hz * chunk_ms // 1000)

    def push(self, block: npt.NDArray[np.generic]) -> list[Int16Array]:
        return self._rechunker.push(to_int16(self._resampler.process(downmix(block))))

    def finish(self) -> list[Int16Array]:
        return self._rechunker.push(to_int16(self._resampler.flush())) + self._rechunker.flush()
