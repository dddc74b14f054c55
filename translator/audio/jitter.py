"""The pure core of playback: a jitter buffer per direction, a ducking gain, a soft clipper.

No threads and no devices here; ``player.py`` calls these under one lock per device
from the event loop (``push``) and the PortAudio callback (``read_into``).

Jitter buffer states::

    IDLE ──audio──▶ BUFFERING ──prebuffer reached, or waited prebuffer──▶ PLAYING
                        ▲                                                │ ran dry
                        └────────────── audio arrives ◀── STARVED ◀──────┘

Running dry is an *underrun* only if the audio that ends the gap belongs to the same
utterance as the audio before it (the translation was still playing and starved); a
gap followed by a new utterance was just the end of speech. The silence played during
an underrun (until playback resumes) is ``lost_frames``.

Drop policy: at most ``max_frames`` wait in the buffer; pushing more drops the oldest
queued audio and counts it in ``dropped_frames`` (a stalled device or a session that
sends faster than real time for too long loses its oldest speech, never the newest).
"""

from __future__ import annotations

import enum
from collections import deque

import numpy as np

from translator.audio.resample import Float32Array

_LATENCY_WINDOW = 2000


class State(enum.Enum):
    IDLE = "idle"
    BUFFERING = "buffering"
    PLAYING = "playing"
    STARVED = "starved"


class JitterBuffer:
    def __init__(self, prebuffer_frames: int, max_frames: int) -> None:
        self.prebuffer_frames = max(0, prebuffer_frames)
        self.max_frames = max(1, max_frames)
        self.state = State.IDLE
        self.flushing = False
        """Start without waiting for the prebuffer (set while draining)."""
        self.queued_frames = 0
        self.underruns = 0
        self.lost_frames = 0
        self.dropped_frames = 0
        self.handoff_s: deque[float] = deque(maxlen=_LATENCY_WINDOW)
        """Recent delays from ``push`` to the first sample of that push reaching the device buffer."""
        self._entries: deque[tuple[Float32Array, str, float]] = deque()
        self._offset = 0
        self._waited_frames = 0
        self._gap_frames = 0
        self._last_utterance: str | None = None

    def push(self, samples: Float32Array, utterance: str, now_s: float) -> None:
        if samples.size == 0:
            return
        self._entries.append((samples, utterance, now_s))
        self.queued_frames += samples.size
        excess = self.queued_frames - self.max_frames
        while excess > 0 and self._entries:
            head = self._entries[0][0]
            left = head.size - self._offset
            take = min(left, excess)
            self._offset += take
            excess -= take
            self.queued_frames -= take
            self.dropped_frames += take
            if self._offset >= head.size:
                self._entries.popleft()
                self._offset = 0
        if self.state is State.IDLE:
            self.state = State.BUFFERING
            self._waited_frames = 0

    def read_into(self, out: Float32Array, now_s: float) -> bool:
        """Add up to ``out.size`` frames into ``out``; True if translated speech is sounding."""
        frames = out.size
        if self.state in (State.BUFFERING, State.STARVED):
            if not self.queued_frames:
                self._count_gap(frames)
                return False
            self._waited_frames += frames
            if (
                self.queued_frames < self.prebuffer_frames
                and self._waited_frames < self.prebuffer_frames
                and not self.flushing
            ):
                self._count_gap(frames)
                return False
            self._resume()
        elif self.state is State.IDLE:
            return False
        filled = 0
        while filled < frames and self._entries:
            samples, utterance, pushed_s = self._entries[0]
            if self._offset == 0:
                self.handoff_s.append(now_s - pushed_s)
            take = min(frames - filled, samples.size - self._offset)
            out[filled : filled + take] += samples[self._offset : self._offset + take]
            filled += take
            self._offset += take
            self._last_utterance = utterance
            if self._offset >= samples.size:
                self._entries.popleft()
                self._offset = 0
        self.queued_frames -= filled
        if filled < frames:
            self.state = State.STARVED
            self._waited_frames = 0
            self._gap_frames = frames - filled
        return filled > 0

    def _count_gap(self, frames: int) -> None:
        if self.state is State.STARVED:
            self._gap_frames += frames

    def _resume(self) -> None:
        if self.state is State.STARVED and self._entries[0][1] == self._last_utterance:
            self.underruns += 1
            self.lost_frames += self._gap_frames
        self._gap_frames = 0
        self.state = State.PLAYING

    @property
    def busy(self) -> bool:
        """Audio is queued (drain waits for this to become False)."""
        return self.queued_frames > 0


class Ducker:
    """Gain for the monitored original: ``duck_db`` down while a translation sounds, linear ramps,
    held ``hold_ms`` after the translation pauses so short gaps between words do not pump."""

    def __init__(
        self, sample_rate_hz: int, duck_db: float = 12.0, ramp_ms: float = 30.0, hold_ms: float = 300.0
    ) -> None:
        self.low_gain = float(10.0 ** (-abs(duck_db) / 20.0))
        self.step = (1.0 - self.low_gain) / max(1.0, ramp_ms * sample_rate_hz / 1000.0)
        self.hold_frames = int(hold_ms * sample_rate_hz / 1000.0)
        self.gain = 1.0
        self._quiet_frames = self.hold_frames

    def gains(self, frames: int, active: bool) -> Float32Array:
        self._quiet_frames = 0 if active else self._quiet_frames + frames
        target = self.low_gain if self._quiet_frames < self.hold_frames else 1.0
        direction = 1.0 if target > self.gain else -1.0
        ramp = self.gain + direction * self.step * np.arange(1, frames + 1, dtype=np.float32)
        ramp = np.minimum(ramp, target) if direction > 0 else np.maximum(ramp, target)
        self.gain = float(ramp[-1]) if frames else self.gain
        out: Float32Array = ramp.astype(np.float32)
        return out


def soft_clip(samples: Float32Array, knee: float = 0.9) -> Float32Array:
    """Identity below ``knee``; above it a tanh curve that approaches 1.0 and never exceeds it."""
    over = np.abs(samples) > knee
    if not over.any():
        return samples
    out = samples.copy()
    x = samples[over]
    headroom = 1.0 - knee
    out[over] = np.sign(x) * (knee + headroom * np.tanh((np.abs(x) - knee) / headroom))
    result: Float32Array = out
    return result
