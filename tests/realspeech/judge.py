"""Scoring a detector against reference speech, and judging utterances: speech lost,
silence only, cuts inside words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tests.realspeech.align import Word, align_words
from tests.realspeech.cases import clip_by_name
from tests.realspeech.corpus import FRAME_MS, Recording

# -- scoring a detector -------------------------------------------------------------------

NONSPEECH_COLLAR_MS = 300
"""Non-speech frames closer than this to reference speech are not scored: the pauses
between words and the 50 to 200 ms joins are "don't care" for a frame-level score."""


def to_10ms(flags: np.ndarray, frame_ms: int, n_frames: int) -> np.ndarray:
    """Detector flags at its own hop -> one flag per 10 ms frame (the frame holding its centre)."""
    centres_ms = np.arange(n_frames) * FRAME_MS + FRAME_MS // 2
    idx = centres_ms // frame_ms
    out = np.zeros(n_frames, dtype=bool)
    ok = idx < len(flags)
    out[ok] = np.asarray(flags, dtype=bool)[idx[ok]]
    return out


def scored_nonspeech(speech: np.ndarray, collar_ms: int = NONSPEECH_COLLAR_MS) -> np.ndarray:
    """Non-speech frames farther than ``collar_ms`` from any reference speech frame."""
    k = collar_ms // FRAME_MS
    near = np.convolve(speech.astype(np.int32), np.ones(2 * k + 1, dtype=np.int32), mode="same") > 0
    return ~near


@dataclass(frozen=True)
class FrameScore:
    missed_pct: float
    """Reference speech frames judged non-speech, % of reference speech."""
    false_pct: float
    """Scored non-speech frames judged speech, % of scored non-speech."""


def frame_score(flags_10ms: np.ndarray, speech: np.ndarray) -> FrameScore:
    n = min(len(flags_10ms), len(speech))
    f, s = np.asarray(flags_10ms[:n], dtype=bool), speech[:n]
    quiet = scored_nonspeech(s)
    missed = float((~f[s]).mean() * 100) if s.any() else 0.0
    false = float(f[quiet].mean() * 100) if quiet.any() else 0.0
    return FrameScore(round(missed, 2), round(false, 2))


def recording_words(rec: Recording) -> list[Word]:
    """Aligned words of every English utterance, on the recording's timeline, in order."""
    out: list[Word] = []
    for u in rec.utterances:
        if u.language != "en":
            continue
        for w in align_words(clip_by_name(u.clip)):
            out.append(Word(w.word, u.clip_start_ms + w.start_ms, u.clip_start_ms + w.end_ms))
    return out


def inside_word(words: Sequence[Word], cut_ms: float, margin_ms: int = 30) -> Word | None:
    """The word a cut at ``cut_ms`` falls inside (more than ``margin_ms`` from both its edges).

    The margin absorbs the aligner's 10 ms frames and a word's soft edges: a cut in the
    first or last 30 ms of a word is at its boundary."""
    for w in words:
        if w.start_ms + margin_ms < cut_ms < w.end_ms - margin_ms:
            return w
    return None


# -- judging utterances --------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """The audio sent for one utterance, on the recording's timeline."""

    start_ms: int
    end_ms: int
    cut: bool
    """Closed for length (the speaker went on), not at a pause or the end of input."""


def segmenter_spans(events: Sequence[object], pcm: np.ndarray) -> list[Span]:
    """Spans of the audio a ``listen.segmenter.Segmenter`` sent, from its events
    (``SegmentOpen.audio_start_ms`` and ``SegmentClose.audio_end_ms``). ``pcm`` is the
    input, kept for callers that check the audio against it."""
    from translator.listen.segmenter import SegmentClose, SegmentOpen

    spans: list[Span] = []
    start_ms = 0
    for e in events:
        if isinstance(e, SegmentOpen):
            start_ms = e.audio_start_ms
        elif isinstance(e, SegmentClose):
            spans.append(Span(start_ms, e.audio_end_ms, e.cut))
    return spans


def speech_lost_pct(spans: Sequence[Span], speech: np.ndarray) -> float:
    """Reference speech frames outside every span, % of reference speech."""
    covered = np.zeros(len(speech), dtype=bool)
    for s in spans:
        covered[s.start_ms // FRAME_MS : -(-s.end_ms // FRAME_MS)] = True
    total = int(speech.sum())
    return round(100 * int((speech & ~covered).sum()) / total, 2) if total else 0.0


def silence_only(spans: Sequence[Span], speech: np.ndarray) -> list[Span]:
    """Spans that hold no reference speech frame."""
    return [s for s in spans if not speech[s.start_ms // FRAME_MS : -(-s.end_ms // FRAME_MS)].any()]


def cuts_inside_words(spans: Sequence[Span], rec: Recording, words: Sequence[Word]) -> tuple[int, int]:
    """(length cuts judged, of them inside a word). A cut within a non-English utterance is
    not judged (no word timings); one in a pause between sentences is judged, and is not
    inside a word."""
    foreign = [u for u in rec.utterances if u.language != "en"]
    judged = inside = 0
    for s in spans:
        if not s.cut:
            continue
        if any(u.start_ms <= s.end_ms <= u.end_ms for u in foreign):
            continue
        judged += 1
        inside += inside_word(words, s.end_ms) is not None
    return judged, inside
