"""Test signals and comparisons shared by the audio tests."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def sine(freq_hz: float, duration_s: float, rate_hz: int, amplitude: float = 0.5) -> FloatArray:
    t = np.arange(int(duration_s * rate_hz)) / rate_hz
    return amplitude * np.sin(2 * np.pi * freq_hz * t)


def chirp(f0_hz: float, f1_hz: float, duration_s: float, rate_hz: int, amplitude: float = 0.5) -> FloatArray:
    """A linear sweep: its cross-correlation has one sharp peak, unlike a steady tone."""
    t = np.arange(int(duration_s * rate_hz)) / rate_hz
    phase = 2 * np.pi * (f0_hz * t + (f1_hz - f0_hz) * t**2 / (2 * duration_s))
    fade = np.minimum(1.0, np.minimum(t, duration_s - t) / 0.01)
    return amplitude * np.sin(phase) * fade


def to_pcm(samples: FloatArray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def from_pcm(pcm: bytes) -> FloatArray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0


def best_alignment(recorded: FloatArray, reference: FloatArray) -> tuple[int, float]:
    """(lag of ``reference`` inside ``recorded``, normalised correlation at that lag, 1.0 = identical)."""
    n = len(recorded) + len(reference)
    size = 1 << (n - 1).bit_length()
    spectrum = np.fft.rfft(recorded, size) * np.conj(np.fft.rfft(reference, size))
    corr = np.fft.irfft(spectrum, size)[: len(recorded) - len(reference) + 1]
    lag = int(np.argmax(corr))
    window = recorded[lag : lag + len(reference)]
    norm = float(np.linalg.norm(window) * np.linalg.norm(reference)) or 1.0
    return lag, float(np.dot(window, reference) / norm)


def piecewise_similarity(
    recorded: FloatArray, reference: FloatArray, rate_hz: int, piece_s: float = 0.25, slack_s: float = 0.5
) -> float:
    """How much of ``reference`` came out whole in ``recorded``: the median, over its pieces
    of ``piece_s`` that are not silent, of each piece's best normalised correlation within
    ``slack_s`` of where the whole reference aligns best.

    A starved audio client underruns and the sink plays silence in its place: a few pieces
    are cut short and the rest arrive late by the gap. One correlation over the whole
    reference drops with each such gap (0.66 for speech that played out right but for a
    few gaps, on a loaded machine); the median piece does not. Audio that is wrong
    throughout still scores low in every piece (unrelated speech: below 0.3)."""
    lag, _ = best_alignment(recorded, reference)
    step, slack = int(piece_s * rate_hz), int(slack_s * rate_hz)
    floor = 0.1 * float(np.max(np.abs(reference)) or 1.0)
    scores = []
    for start in range(0, len(reference) - step + 1, step):
        piece = reference[start : start + step]
        if np.max(np.abs(piece)) < floor:
            continue
        lo = max(0, lag + start - slack)
        window = recorded[lo : lag + start + step + slack]
        if len(window) < step:
            scores.append(0.0)
            continue
        scores.append(best_alignment(window, piece)[1])
    return float(np.median(scores)) if scores else 0.0


def dominant_hz(samples: FloatArray, rate_hz: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate_hz / len(samples))
