"""Opus encoding for one language (PyAV's bundled libopus): 16-bit PCM at any rate in,
20 ms Opus packets at 48 kHz mono out. One encoder per language, whatever the number
of listeners (they share its packets).

The resampler is stateful across calls (``audio.resample.StreamResampler``, real-time
quality: it emits steadily instead of in 40 ms bursts). A partial last frame waits for
more audio; ``flush()`` pads it with silence when the speech stops, so the end of an
utterance is not held back until the next one.
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

from translator.audio.resample import REALTIME_QUALITY, StreamResampler, from_int16_bytes, to_int16

RATE_HZ = 48_000
FRAME_SAMPLES = 960  # 20 ms
BITRATE = 32_000


def opus_available() -> bool:
    return "libopus" in av.codecs_available


class OpusEncoder:
    def __init__(self, bitrate: int = BITRATE) -> None:
        ctx = av.CodecContext.create("libopus", "w")
        assert isinstance(ctx, av.AudioCodecContext)
        ctx.sample_rate = RATE_HZ
        ctx.layout = "mono"
        ctx.format = "s16"
        ctx.bit_rate = bitrate
        ctx.time_base = Fraction(1, RATE_HZ)
        ctx.options = {"application": "voip", "frame_duration": "20", "vbr": "constrained"}
        ctx.open()
        self._ctx = ctx
        self._resamplers: dict[int, StreamResampler] = {}
        self._pending = np.zeros(0, dtype=np.int16)
        self._pts = 0
        self.frames = 0

    def encode(self, pcm: bytes, sample_rate_hz: int) -> list[bytes]:
        """Packets for every whole 20 ms frame now available (possibly none)."""
        resampler = self._resamplers.get(sample_rate_hz)
        if resampler is None:
            resampler = StreamResampler(sample_rate_hz, RATE_HZ, REALTIME_QUALITY)
            self._resamplers[sample_rate_hz] = resampler
        samples = to_int16(resampler.process(from_int16_bytes(pcm)))
        data = np.concatenate((self._pending, samples)) if self._pending.size else samples
        whole = data.size // FRAME_SAMPLES * FRAME_SAMPLES
        self._pending = data[whole:].copy()
        packets: list[bytes] = []
        for i in range(0, whole, FRAME_SAMPLES):
            packets += self._encode_frame(data[i : i + FRAME_SAMPLES])
        return packets

    def flush(self) -> list[bytes]:
        """Pad the partial frame with silence and encode it (speech paused)."""
        if not self._pending.size:
            return []
        frame = np.zeros(FRAME_SAMPLES, dtype=np.int16)
        frame[: self._pending.size] = self._pending
        self._pending = np.zeros(0, dtype=np.int16)
        return self._encode_frame(frame)

    def _encode_frame(self, samples: np.ndarray) -> list[bytes]:
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE_HZ
        frame.pts = self._pts
        frame.time_base = Fraction(1, RATE_HZ)
        self._pts += FRAME_SAMPLES
        self.frames += 1
        return [bytes(p) for p in self._ctx.encode(frame)]
