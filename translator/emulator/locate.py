"""Find where a committed stretch of audio lies inside the scenario's source recording.

Both signals are resampled to 16 kHz and reduced to 10 ms log-energy envelopes; the
segment's envelope is slid along the source's by normalized cross-correlation
(computed with FFTs), so a different sample rate or gain on the client side does
not matter. The source is padded at both ends with its own noise level, so a
segment that runs past the recording's start or end (extra silence sent by the
client) still lines up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from translator.emulator.codec import Float32Array, resample

ENVELOPE_RATE_HZ = 16_000
FRAME_MS = 10
_FRAME = ENVELOPE_RATE_HZ * FRAME_MS // 1000
MIN_SPEECH_RANGE_DB = 12.0
"""A segment whose loud frames are less than this above its quiet ones holds no speech."""
MIN_SCORE = 0.4

Envelope = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Located:
    start_ms: int
    end_ms: int
    score: float


def envelope(samples: Float32Array, sample_rate_hz: int) -> Envelope:
    """10 ms log-energy frames (dB) of ``samples`` after resampling to 16 kHz."""
    x = resample(samples, sample_rate_hz, ENVELOPE_RATE_HZ).astype(np.float64)
    n = x.size // _FRAME
    if n == 0:
        return np.zeros(0)
    frames = x[: n * _FRAME].reshape(n, _FRAME)
    return np.asarray(10.0 * np.log10(np.mean(frames * frames, axis=1) + 1e-10))


DIGITAL_SILENCE_DB = -90.0
"""Frames this quiet are exact zeros (padding a client added), not a room's noise floor."""


def _as_room_silence(env: Envelope) -> Envelope:
    """Exact zeros a client appended (to close a turn, say) are silence, as the recording's
    own pauses are: they take the clip's quiet level, so they neither look like a loud/quiet
    contrast nor pull the match towards the recording's quietest stretch."""
    zeros = env <= DIGITAL_SILENCE_DB
    if not zeros.any() or zeros.all():
        return env
    filled: Envelope = env.copy()
    filled[zeros] = float(np.percentile(env[~zeros], 10))
    return filled


def has_speech(env: Envelope) -> bool:
    env = _as_room_silence(env)
    if env.size < 5 or float(env.max()) <= DIGITAL_SILENCE_DB:
        return False
    low, high = np.percentile(env, [10, 95])
    return bool(high - low >= MIN_SPEECH_RANGE_DB and high > -70)


def _clip_floor(env: Envelope) -> Envelope:
    return np.maximum(env, max(float(np.percentile(env, 5)), float(env.max()) - 60.0))


def locate(segment: Envelope, source: Envelope) -> Located | None:
    """The best-matching span of ``source`` (in ms from its start), or None if nothing fits."""
    m = segment.size
    zeros = segment <= DIGITAL_SILENCE_DB
    tail = int(np.argmin(zeros[::-1])) if not zeros.all() else m  # exact zeros after the audio
    segment = _as_room_silence(segment)
    if m < 5 or source.size < 5 or not has_speech(segment):
        return None
    src = _clip_floor(source)
    pad = np.full(m, float(np.percentile(src, 5)))
    s = np.concatenate([pad, src, pad])
    q = _clip_floor(segment)
    qc = q - q.mean()
    q_norm = float(np.sqrt(np.sum(qc * qc)))
    if q_norm == 0.0:
        return None
    size = 1 << int(np.ceil(np.log2(s.size + m)))
    corr = np.fft.irfft(np.fft.rfft(s, size) * np.conj(np.fft.rfft(qc, size)), size)[: s.size - m + 1]
    c1 = np.concatenate([[0.0], np.cumsum(s)])
    c2 = np.concatenate([[0.0], np.cumsum(s * s)])
    win_sum = c1[m:] - c1[:-m]
    win_var = np.maximum(c2[m:] - c2[:-m] - win_sum * win_sum / m, 1e-9)
    score = corr / (np.sqrt(win_var) * q_norm)
    best = int(np.argmax(score))
    if score[best] < MIN_SCORE:
        return None
    start_frame = best - m
    # Zeros a client added after the audio hold no words: the span ends where the audio did.
    return Located(start_frame * FRAME_MS, (start_frame + m - tail) * FRAME_MS, float(score[best]))
