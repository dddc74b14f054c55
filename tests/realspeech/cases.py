"""Hard cases built from the corpus: clips joined by short gaps, noise at an SNR measured over
the speech, lowered gain, languages alternating."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tests.realspeech.corpus import (
    _FRAME,
    FRAME_MS,
    RATE_HZ,
    Clip,
    Recording,
    Utterance,
    asterisk_clips,
    librivox_clips,
    reference_speech,
)

# -- building hard cases -----------------------------------------------------------------


_CLIPS: dict[str, Clip] = {}


def clip_by_name(name: str) -> Clip:
    """A clip that :func:`join` has used, by its name."""
    return _CLIPS[name]


def join(clips: Sequence[Clip], gaps_ms: Sequence[int], lead_ms: int = 500, tail_ms: int = 700) -> Recording:
    """Clips one after another with ``gaps_ms[i]`` of digital silence after clip i (cycled)."""
    parts: list[np.ndarray] = [np.zeros(lead_ms * RATE_HZ // 1000, dtype=np.int16)]
    flags: list[np.ndarray] = [np.zeros(lead_ms // FRAME_MS, dtype=bool)]
    utts: list[Utterance] = []
    at_ms = lead_ms
    for i, clip in enumerate(clips):
        _CLIPS[clip.name] = clip
        # Whole 10 ms frames per clip keep the reference aligned with the audio.
        pcm = clip.pcm[: len(clip.pcm) // _FRAME * _FRAME]
        ref = reference_speech(pcm)
        on = np.flatnonzero(ref)
        first_ms, last_ms = (int(on[0]) * FRAME_MS, int(on[-1] + 1) * FRAME_MS) if on.size else (0, 0)
        utts.append(Utterance(clip.text, clip.language, at_ms + first_ms, at_ms + last_ms, clip.name, at_ms))
        gap_ms = gaps_ms[i % len(gaps_ms)] if i < len(clips) - 1 else tail_ms
        gap_ms -= gap_ms % FRAME_MS
        parts += [pcm, np.zeros(gap_ms * RATE_HZ // 1000, dtype=np.int16)]
        flags += [ref, np.zeros(gap_ms // FRAME_MS, dtype=bool)]
        at_ms += len(pcm) * 1000 // RATE_HZ + gap_ms
    pcm = np.concatenate(parts)
    return Recording(pcm, pcm.copy(), tuple(utts), np.concatenate(flags))


def pink_noise(n: int, seed: int = 0) -> np.ndarray:
    """1/f noise (Voss-McCartney through an FFT shaping), float64 at unit RMS."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / RATE_HZ)
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0.0
    x = np.fft.irfft(spectrum, n)
    return np.asarray(x / (np.sqrt(np.mean(x * x)) + 1e-12))


def babble_noise(n: int, seed: int = 0, voices: int = 6) -> np.ndarray:
    """Several other speakers at once: asterisk prompts in three languages summed, unit RMS."""
    rng = np.random.default_rng(seed)
    pool = [c for lang in ("en", "es", "fr") for c in asterisk_clips(lang, min_words=4)]
    out = np.zeros(n)
    for _ in range(voices):
        track: list[np.ndarray] = []
        total = 0
        while total < n:
            pcm = pool[int(rng.integers(len(pool)))].pcm.astype(np.float64)
            track.append(pcm)
            total += len(pcm)
        seq = np.concatenate(track)
        start = int(rng.integers(0, max(1, len(seq) - n)))
        out += seq[start : start + n] if len(seq) - start >= n else np.resize(seq, n)
    return np.asarray(out / (np.sqrt(np.mean(out * out)) + 1e-12))


def music_noise(n: int, seed: int = 0) -> np.ndarray:
    """Music-like: chords of harmonic tones changing every 0.5 to 1 s, with a soft attack, unit RMS."""
    rng = np.random.default_rng(seed)
    out = np.zeros(n)
    at = 0
    while at < n:
        length = min(n - at, int(rng.integers(RATE_HZ // 2, RATE_HZ)))
        t = np.arange(length) / RATE_HZ
        root = 110.0 * 2 ** (int(rng.integers(0, 24)) / 12)
        chord = np.zeros(length)
        for step in (0, 4, 7, 12):
            f0 = root * 2 ** (step / 12)
            for h in range(1, 5):
                if f0 * h < RATE_HZ / 2:
                    chord += np.sin(2 * np.pi * f0 * h * t + rng.uniform(0, 2 * np.pi)) / h
        envelope = np.minimum(1.0, t / 0.03) * np.exp(-t * 1.5)
        out[at : at + length] = chord * envelope
        at += length
    return np.asarray(out / (np.sqrt(np.mean(out * out)) + 1e-12))


NOISES = {"pink": pink_noise, "babble": babble_noise, "music": music_noise}


def speech_rms(rec: Recording) -> float:
    """RMS of the clean signal over its reference speech frames."""
    n = min(len(rec.speech), len(rec.clean) // _FRAME)
    frames = rec.clean[: n * _FRAME].astype(np.float64).reshape(n, _FRAME)[rec.speech[:n]]
    return float(np.sqrt(np.mean(frames * frames))) if frames.size else 0.0


def degrade(
    rec: Recording, noise: str | None, snr_db: float, gain_db: float = 0.0, seed: int = 0
) -> Recording:
    """Mix ``noise`` so that speech RMS over speech frames / noise RMS = ``snr_db``, then apply gain."""
    x = rec.clean.astype(np.float64)
    if noise is not None:
        n = NOISES[noise](len(x), seed)
        x = x + n * speech_rms(rec) / 10 ** (snr_db / 20)
    x *= 10 ** (gain_db / 20)
    pcm = np.clip(np.round(x), -32768, 32767).astype(np.int16)
    return Recording(pcm, rec.clean, rec.utterances, rec.speech)


def apply_gain(pcm: np.ndarray, gain_db: float) -> np.ndarray:
    x = pcm.astype(np.float64) * 10 ** (gain_db / 20)
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def gaps(count: int, seed: int, lo_ms: int = 50, hi_ms: int = 200) -> list[int]:
    rng = np.random.default_rng(seed)
    return [int(g) for g in rng.integers(lo_ms, hi_ms + 1, size=count)]


MAX_SENTENCE_MS = 8000
"""Longer prompts (menus read out, 17 to 31 s) are left out of the joined recordings."""


def sentences(language: str, min_words: int = 5) -> list[Clip]:
    """Asterisk prompts of ``language`` with ``min_words`` words and at most 8 s long."""
    return [c for c in asterisk_clips(language, min_words) if c.duration_ms <= MAX_SENTENCE_MS]


def english_pool() -> list[Clip]:
    """Every English sentence clip: LibriVox first, then asterisk prompts (5+ words, at most 8 s)."""
    return [*librivox_clips(), *sentences("en")]


def continuous_english(min_s: float = 70.0, seed: int = 0) -> Recording:
    """English clips joined with 50 to 200 ms gaps until at least ``min_s`` of audio."""
    pool = english_pool()
    chosen: list[Clip] = []
    total_ms = 0
    i = 0
    while total_ms < min_s * 1000:
        clip = pool[i % len(pool)]
        chosen.append(clip)
        total_ms += clip.duration_ms + 125
        i += 1
    return join(chosen, gaps(len(chosen), seed))


def continuous_40s(seed: int = 0) -> Recording:
    """About 40 s: sentences of 2.4 to 3.7 s (asterisk English prompts) joined by 150 to 200 ms."""
    pool = [c for c in asterisk_clips("en", min_words=4) if 2400 <= c.duration_ms <= 3700]
    chosen: list[Clip] = []
    total_ms = 0
    for clip in pool:
        if total_ms >= 40_000:
            break
        chosen.append(clip)
        total_ms += clip.duration_ms + 175
    return join(chosen, gaps(len(chosen), seed, 150, 200))


def with_pauses(rec: Recording, every: int = 4, pause_ms: int = 2500, seed: int = 0) -> Recording:
    """The same sentences, with a ``pause_ms`` pause after every ``every``-th one and 2 s
    of lead and tail (the rest 50 to 200 ms): a speaker who stops now and then, so a
    detector's false speech in noise can be measured."""
    clips = [clip_by_name(u.clip) for u in rec.utterances]
    spaced = [pause_ms if i % every == every - 1 else g for i, g in enumerate(gaps(len(clips), seed))]
    return join(clips, spaced, lead_ms=pause_ms, tail_ms=pause_ms)


def alternating(languages: Sequence[str] = ("en", "es"), count: int = 12, seed: int = 0) -> Recording:
    """Sentences (5+ words) alternating between ``languages``, 50 to 200 ms apart."""
    pools = {lang: sentences(lang) for lang in languages}
    rng = np.random.default_rng(seed)
    chosen = []
    for i in range(count):
        pool = pools[languages[i % len(languages)]]
        chosen.append(pool[int(rng.integers(len(pool)))])
    return join(chosen, gaps(count, seed))
