"""An energy voice-activity detector standing in for the service's server VAD.

Pure and incremental: feed float32 samples with :meth:`EnergyVad.push`, get
``started`` / ``stopped`` events back with times on the session's audio clock.

How it decides (10 ms frames):

- a frame's level is its mean-square energy in dBFS;
- the noise floor is the 10th percentile of the frame levels of the last 10 s
  (so it follows a room's background noise and survives long speech), never
  below -65 dBFS (so digital silence plus a faint click is not speech); frames of exact
  zeros (a line before anything plays on it) do not count, so a room's noise after them
  is the floor, not speech;
- a frame is *voiced* when it is ``2 + 8 * threshold`` dB above the floor
  (``threshold`` is the service's 0..1 knob; 0.5 gives 6 dB);
- speech starts once ``speech_duration_ms`` of voiced frames have gathered with no
  gap over 100 ms; ``audio_start_ms`` is the first voiced frame minus
  ``prefix_padding_ms`` (never before the previous stop);
- speech stops after ``silence_duration_ms`` without a voiced frame;
  ``audio_end_ms`` includes that silence, as the service's does.

A stream that *opens* in the middle of loud speech is heard only from its first
pause on, because the floor starts at the first frame's level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from translator.emulator.codec import Float32Array
from translator.emulator.locate import DIGITAL_SILENCE_DB

FRAME_MS = 10
_HISTORY_FRAMES = 1000
_FLOOR_MIN_DB = -65.0
_CANDIDATE_GAP_MS = 100
_FLOOR_EVERY_FRAMES = 25


@dataclass(frozen=True, slots=True)
class VadSettings:
    threshold: float = 0.5
    prefix_padding_ms: int = 300
    silence_duration_ms: int = 500
    speech_duration_ms: int = 200

    @property
    def margin_db(self) -> float:
        return 2.0 + 8.0 * self.threshold


@dataclass(frozen=True, slots=True)
class VadEvent:
    kind: Literal["started", "stopped"]
    at_ms: int


class EnergyVad:
    """Incremental detector; ``origin_ms`` is the session clock at its first sample."""

    def __init__(self, settings: VadSettings, sample_rate_hz: int, origin_ms: int = 0) -> None:
        self.settings = settings
        self._frame_len = sample_rate_hz * FRAME_MS // 1000
        self._pending = np.zeros(0, np.float32)
        self._frames_done = 0
        self._origin_ms = origin_ms
        self._history = np.zeros(_HISTORY_FRAMES)
        self._history_len = 0
        self._history_pos = 0
        self._floor_db = _FLOOR_MIN_DB
        self._floor_age = _FLOOR_EVERY_FRAMES
        self._speaking = False
        self._candidate_start: int | None = None  # frame index of the first voiced frame
        self._candidate_voiced = 0
        self._last_voiced: int | None = None  # frame index
        self._last_stop_ms = origin_ms

    @property
    def speaking(self) -> bool:
        return self._speaking

    def _ms(self, frame: int) -> int:
        return self._origin_ms + frame * FRAME_MS

    def push(self, samples: Float32Array) -> list[VadEvent]:
        data = np.concatenate([self._pending, samples]) if self._pending.size else samples
        n_frames = data.size // self._frame_len
        self._pending = data[n_frames * self._frame_len :].copy()
        if n_frames == 0:
            return []
        frames = data[: n_frames * self._frame_len].reshape(n_frames, self._frame_len).astype(np.float64)
        levels = 10.0 * np.log10(np.einsum("ij,ij->i", frames, frames) / self._frame_len + 1e-12)
        floor = self._update_floor(levels)
        voiced = levels > floor + self.settings.margin_db
        events: list[VadEvent] = []
        for is_voiced in voiced.tolist():
            event = self._step(self._frames_done, bool(is_voiced))
            if event is not None:
                events.append(event)
            self._frames_done += 1
        return events

    def _update_floor(self, levels: np.ndarray) -> float:
        """Add levels to the ring; re-estimate the floor (a partial sort) every 250 ms,
        and at every push during the first 2 s so it settles fast."""
        levels = levels[levels > DIGITAL_SILENCE_DB]  # exact zeros (an idle line) are no room noise
        if levels.size == 0:
            return self._floor_db
        for level in levels[-_HISTORY_FRAMES:]:
            self._history[self._history_pos] = level
            self._history_pos = (self._history_pos + 1) % _HISTORY_FRAMES
        self._history_len = min(self._history_len + levels.size, _HISTORY_FRAMES)
        self._floor_age += levels.size
        if self._floor_age >= _FLOOR_EVERY_FRAMES or self._history_len < 200:
            known = self._history[: self._history_len]
            k = int(0.1 * (known.size - 1))
            self._floor_db = max(float(np.partition(known, k)[k]), _FLOOR_MIN_DB)
            self._floor_age = 0
        return self._floor_db

    def _step(self, frame: int, voiced: bool) -> VadEvent | None:
        s = self.settings
        if voiced:
            self._last_voiced = frame
        if self._speaking:
            assert self._last_voiced is not None
            if (frame - self._last_voiced) * FRAME_MS >= s.silence_duration_ms:
                self._speaking = False
                self._last_stop_ms = self._ms(frame + 1)
                return VadEvent("stopped", self._last_stop_ms)
            return None
        if voiced:
            if self._candidate_start is None:
                self._candidate_start, self._candidate_voiced = frame, 0
            self._candidate_voiced += 1
            if self._candidate_voiced * FRAME_MS >= max(s.speech_duration_ms, FRAME_MS):
                self._speaking = True
                start_ms = max(self._ms(self._candidate_start) - s.prefix_padding_ms, self._last_stop_ms)
                self._candidate_start = None
                return VadEvent("started", start_ms)
        elif self._candidate_start is not None and self._last_voiced is not None:
            if (frame - self._last_voiced) * FRAME_MS > _CANDIDATE_GAP_MS:
                self._candidate_start = None
        return None

    def flush_ms(self) -> int:
        """The session clock at the end of the audio processed so far."""
        return self._ms(self._frames_done)
