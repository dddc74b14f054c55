"""The client segmenter on REAL recorded speech in noise (``tests/realspeech/``):
nothing lost, nothing silent, bounded lengths, and short sentences kept whole."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests import realspeech as rs
from translator.listen.segmenter import SegmentClose, Segmenter, SegmentOpen, VadParams

pytestmark = pytest.mark.skipif(rs.missing() is not None, reason=str(rs.missing()))


def _segment(pcm: np.ndarray, params: VadParams, chunk: int = 480) -> list[dict[str, Any]]:
    seg = Segmenter(params, rs.RATE_HZ)
    events: list[Any] = []
    for i in range(0, len(pcm), chunk):
        events += seg.push(pcm[i : i + chunk].tobytes())
    events += seg.finish()
    utts: dict[str, dict[str, Any]] = {}
    for e in events:
        if isinstance(e, SegmentOpen):
            utts[e.utterance] = {"start": e.start_ms, "audio_start": e.audio_start_ms}
        elif isinstance(e, SegmentClose):
            utts[e.utterance].update(end=e.end_ms, audio_end=e.audio_end_ms, cut=e.cut)
    return list(utts.values())


def _lost_pct(rec: rs.Recording, utts: list[dict[str, Any]]) -> float:
    covered = np.zeros(len(rec.speech), dtype=bool)
    for u in utts:
        covered[u["audio_start"] // rs.FRAME_MS : u["audio_end"] // rs.FRAME_MS] = True
    return float((~covered[rec.speech]).mean() * 100)


@pytest.fixture(scope="module")
def continuous() -> rs.Recording:
    return rs.continuous_english(40.0)


@pytest.mark.parametrize("gain_db", [0, -6, -12])
def test_speech_in_steady_noise_is_kept_whole_at_any_input_level(
    continuous: rs.Recording, gain_db: int
) -> None:
    rec = rs.degrade(continuous, "pink", 15, gain_db, seed=1)
    params = VadParams()
    utts = _segment(rec.pcm, params)
    assert _lost_pct(rec, utts) <= 1.0
    for u in utts:
        a, b = u["audio_start"] // rs.FRAME_MS, u["audio_end"] // rs.FRAME_MS
        assert rec.speech[a:b].any(), f"an utterance of silence only: {u}"
        # past the limit, a cut may wait for a pause while the audio stays within limit + 1 s
        assert u["end"] - u["start"] <= params.max_segment_ms + 1000
        assert u["audio_end"] - u["audio_start"] <= params.max_segment_ms + 1000


def test_babble_does_not_swallow_the_speaker(continuous: rs.Recording) -> None:
    rec = rs.degrade(continuous, "babble", 10, -6, seed=2)
    assert _lost_pct(rec, _segment(rec.pcm, VadParams())) <= 1.0


def test_a_sentence_shorter_than_the_limit_is_never_cut() -> None:
    """Sentences of 2.4 to 3.7 s of speech joined by 150 to 200 ms: every utterance ends in
    a gap between sentences (or in a sentence's last 100 ms, its fading end), one sentence
    each. The gaps are shorter than a real pause, so the hard limit makes most of these ends,
    at the gap; the old 150 ms short-pause close split three of these sentences at a pause
    inside them."""
    rec = rs.degrade(rs.continuous_40s(), "pink", 20, 0, seed=3)
    utts = _segment(rec.pcm, VadParams())
    sentences = [(s.start_ms, s.end_ms) for s in rec.utterances]
    ends = [u["audio_end"] for u in utts]
    assert not [e for e in ends if any(a + 20 < e < b - 100 for a, b in sentences)]
    assert len(utts) >= len(rec.utterances) - 1


def test_steady_noise_alone_opens_nothing() -> None:
    for noise in ("pink", "music"):
        hiss = (rs.NOISES[noise](rs.RATE_HZ * 10, 4) * 300).astype(np.int16)  # about -40 dBFS
        assert _segment(hiss, VadParams()) == []


def test_chunking_does_not_change_the_cuts(continuous: rs.Recording) -> None:
    rec = rs.degrade(continuous, "pink", 10, 0, seed=5)
    assert _segment(rec.pcm, VadParams(), chunk=333) == _segment(rec.pcm, VadParams(), chunk=4800)
