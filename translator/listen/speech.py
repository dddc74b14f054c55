"""Speech flags from a detector's probabilities (pure, no I/O).

``FrameAligner`` pairs the input's PCM frames with the detector's probabilities,
``SpeechGate`` turns probabilities into speech flags with hysteresis, and
``PauseMeter`` tells, for sessions whose turns the service detects, how long the
input has been without speech, so a long turn can be ended at a pause.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from translator.listen.vad import SpeechDetector, make_detector

if TYPE_CHECKING:
    from translator.listen.segmenter import VadParams


class SpeechGate:
    """Probabilities → speech flags with hysteresis, and the length of the current pause."""

    def __init__(self, params: VadParams, frame_ms: int) -> None:
        self._on, self._off = params.threshold, params.off_threshold
        self._frame_ms = frame_ms
        self.speaking = False
        self.pause_frames = 0

    def step(self, prob: float) -> bool:
        self.speaking = prob >= self._on or (self.speaking and prob >= self._off)
        self.pause_frames = 0 if self.speaking else self.pause_frames + 1
        return self.speaking

    @property
    def pause_ms(self) -> int:
        return self.pause_frames * self._frame_ms


class FrameAligner:
    """Pairs the input's PCM frames with the detector's probabilities, in order.

    The detector may resample and so lag a frame behind; a frame waits here until its
    probability arrives, and ``flush`` gives the last ones probability 0 (end of input).
    """

    def __init__(self, detector: SpeechDetector, sample_rate_hz: int) -> None:
        self.detector = detector
        self.frame_ms = detector.frame_ms
        self._frame = sample_rate_hz * self.frame_ms // 1000
        self._rest = np.zeros(0, dtype=np.int16)
        self._frames: deque[np.ndarray] = deque()
        self._probs: deque[float] = deque()

    def push(self, pcm: bytes) -> list[tuple[np.ndarray, float]]:
        samples = np.frombuffer(pcm, dtype=np.int16)
        self._probs.extend(self.detector.push(samples).tolist())
        if self._rest.size:
            samples = np.concatenate([self._rest, samples])
        n = samples.size // self._frame
        self._rest = samples[n * self._frame :].copy()
        if n:
            self._frames.extend(samples[: n * self._frame].reshape(n, self._frame))
        return self._pairs()

    def flush(self) -> list[tuple[np.ndarray, float]]:
        if self._rest.size:
            self._frames.append(np.pad(self._rest, (0, self._frame - self._rest.size)))
            self._rest = np.zeros(0, dtype=np.int16)
        self._probs.extend([0.0] * max(0, len(self._frames) - len(self._probs)))
        return self._pairs()

    def _pairs(self) -> list[tuple[np.ndarray, float]]:
        n = min(len(self._frames), len(self._probs))
        return [(self._frames.popleft(), self._probs.popleft()) for _ in range(n)]


class PauseMeter:
    """For sessions whose turns the service detects: how long the input has been without
    speech, and how long it has been talking without a real pause (``silence_duration_ms``)."""

    def __init__(self, params: VadParams, rate_hz: int, detector: SpeechDetector | None = None) -> None:
        self._frames = FrameAligner(detector or make_detector(params.detector, rate_hz), rate_hz)
        self._gate = SpeechGate(params, self._frames.frame_ms)
        self._silence_frames = max(1, params.silence_duration_ms // self._frames.frame_ms)
        self._talk_frames = 0

    def push(self, pcm: bytes) -> tuple[int, int]:
        """Feed input audio; returns ``(pause_ms, talk_ms)`` at its end: the current pause
        (0 while speaking), and the stretch of talk since the last real pause (0 in one)."""
        for _frame, prob in self._frames.push(pcm):
            if self._gate.step(prob):
                self._talk_frames += 1
            elif self._gate.pause_frames >= self._silence_frames:
                self._talk_frames = 0
            elif self._talk_frames:
                self._talk_frames += 1
        fm = self._frames.frame_ms
        return self._gate.pause_ms, self._talk_frames * fm
