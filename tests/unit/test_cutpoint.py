"""Where the hard limit cuts (``listen/cutpoint.py`` and the segmenter's use of it), with a
scripted detector: one probability per 32 ms frame, so each case says exactly what the
detector saw."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from translator.listen.cutpoint import best_dip, least_speech_like
from translator.listen.segmenter import SegmentClose, Segmenter, SegmentOpen, VadParams

RATE_HZ = 24_000
FRAME = RATE_HZ * 32 // 1000  # samples per 32 ms frame


class Scripted:
    """A detector that answers the given probabilities, one per whole 32 ms frame."""

    frame_ms = 32

    def __init__(self, probs: Sequence[float]) -> None:
        self._probs = list(probs)
        self._done = 0
        self._rest = 0

    def push(self, pcm: np.ndarray) -> np.ndarray:
        total = self._rest + len(pcm)
        n, self._rest = divmod(total, FRAME)
        out = [self._probs[k] if k < len(self._probs) else 0.0 for k in range(self._done, self._done + n)]
        self._done += n
        return np.array(out, dtype=np.float32)

    def reset(self) -> None:
        self._done = self._rest = 0


def _run(probs: Sequence[float], params: VadParams, quiet: Sequence[int] = ()) -> list[dict[str, object]]:
    """Segment a tone under scripted probabilities. Its level swings 20 dB four times a second,
    as syllables do, so the segmenter's noise-floor check keeps counting it as speech. The
    frames in ``quiet`` hold faint noise instead (a soft ending at the room's floor)."""
    t = np.arange(len(probs) * FRAME) / RATE_HZ
    envelope = 0.01 + 0.09 * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t))
    pcm = (envelope * np.sin(2 * np.pi * 200 * t) * 32767).astype(np.int16)
    noise = np.random.default_rng(0).normal(0, 10, len(pcm)).astype(np.int16)
    for k in quiet:
        pcm[k * FRAME : (k + 1) * FRAME] = noise[k * FRAME : (k + 1) * FRAME]
    seg = Segmenter(params, RATE_HZ, detector=Scripted(probs))
    events = []
    for i in range(0, len(pcm), 480):
        events += seg.push(pcm[i : i + 480].tobytes())
    events += seg.finish()
    utts: dict[str, dict[str, object]] = {}
    for e in events:
        if isinstance(e, SegmentOpen):
            utts[e.utterance] = {"audio_start": e.audio_start_ms, "start": e.start_ms}
        elif isinstance(e, SegmentClose):
            utts[e.utterance].update(audio_end=e.audio_end_ms, end=e.end_ms, cut=e.cut)
    return list(utts.values())


PARAMS = VadParams(max_segment_ms=4000, prefix_padding_ms=0)
LEAD = [0.0] * 10  # 320 ms of silence before the speech


def test_the_cut_leads_the_detectors_dip_by_a_frame() -> None:
    """Silero's probability dips a frame after the gap between two words: the cut goes one
    frame before the dip's lowest frame, not in the dip's middle (that fell in the next word)."""
    speech = [1.0] * 200
    speech[80:84] = [0.3, 0.05, 0.2, 0.45]  # frames 80-83 of the speech; the lowest is 81
    utts = _run(LEAD + speech, PARAMS)
    assert utts[0]["cut"] is True
    assert utts[0]["audio_end"] == (len(LEAD) + 80) * 32


def test_without_a_dip_at_the_limit_the_cut_waits_for_one() -> None:
    """No dip in the held-back audio when the speech reaches the limit: keep listening, and
    cut at a dip that comes soon after (the old code cut at once, inside a word)."""
    speech = [1.0] * 220
    speech[130:133] = [0.2, 0.02, 0.6]  # 4.16 s into the speech, after the 4 s limit
    utts = _run(LEAD + speech, PARAMS)
    assert utts[0]["cut"] is True
    assert utts[0]["audio_end"] == (len(LEAD) + 130) * 32
    assert utts[0]["audio_end"] - utts[0]["audio_start"] <= PARAMS.max_segment_ms + 1000


def test_with_no_dip_at_all_the_cut_comes_when_the_wait_ends_and_not_at_the_windows_edge() -> None:
    """The detector is sure of speech throughout: the cut comes when the wait for a dip ends,
    at the deepest local minimum of the probability (the old code's smoothing
    made the held-back window's first or last frame the least speech-like)."""
    speech = [1.0] * 260
    speech[100] = 0.8  # 3.2 s in: a shallow minimum, the only hint of a boundary
    utts = _run(LEAD + speech, PARAMS)
    first = utts[0]
    assert first["cut"] is True
    assert abs(first["audio_end"] - (len(LEAD) + 100) * 32) <= 32
    assert first["audio_end"] - first["audio_start"] <= PARAMS.max_segment_ms + 1000


def test_speech_shorter_than_the_limit_is_never_cut() -> None:
    speech = [1.0] * 120 + [0.0] * 30 + [1.0] * 120  # 3.84 s, a real pause, 3.84 s
    utts = _run(LEAD + speech + [0.0] * 30, PARAMS)
    assert [u["cut"] for u in utts] == [False, False]


def test_every_utterance_fits_the_limit_plus_one_second_of_audio() -> None:
    rng = np.random.default_rng(3)
    probs = np.clip(0.9 + 0.1 * rng.standard_normal(1500), 0.4, 1.0).tolist()  # 48 s, no dip
    params = VadParams(max_segment_ms=4000)  # with the default prefix padding
    utts = _run(LEAD + probs, params)
    assert sum(bool(u["cut"]) for u in utts) >= 8
    for u in utts:
        assert u["audio_end"] - u["audio_start"] <= params.max_segment_ms + 1000


def test_best_dip_prefers_the_longest_run_and_only_complete_ones() -> None:
    probs = [1, 0.3, 1, 1, 0.3, 0.1, 0.2, 1, 1, 0.1]
    assert best_dip(probs, 0.35) == 4  # the run 4-6, lowest at 5, one frame before it
    assert best_dip(probs[:6], 0.35) == 0  # the run 4-5 has not ended yet: the frame before 1
    assert best_dip(probs[:6], 0.35, complete=False) == 4
    assert best_dip([1.0, 0.9, 1.0], 0.35) is None


def test_best_dip_counts_the_part_of_a_dip_before_the_window() -> None:
    probs = [0.1, 0.02, 1, 0.1, 0.05, 0.1, 1]
    assert best_dip(probs, 0.35) == 3  # 2 frames, then 3: the later, one before its lowest
    assert best_dip(probs, 0.35, lead=2) == 0  # the first began 2 frames earlier: 4 against 3
    assert best_dip([1.0, *probs], 0.35, lead=2) == 4  # no run starts at the first frame


def test_a_gap_that_began_before_the_held_back_window_counts_whole() -> None:
    """The held-back window opens 1.5 s into the utterance, here 4 frames into a 10-frame gap
    (the end of a first sentence). Counted from the window's edge, its 6 frames lost to an
    8-frame pause later on, inside the next sentence ("At the sound of the tone, | the time
    will be exactly..." was split so in 3 of the 9 runs at 15 dB SNR)."""
    speech = [1.0] * 160
    speech[42:52] = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.02, 0.1, 0.1, 0.1]  # the window opens at 46
    speech[85:93] = [0.1, 0.1, 0.1, 0.02, 0.1, 0.1, 0.1, 0.1]
    utts = _run(LEAD + speech + [0.0] * 30, PARAMS)
    assert utts[0]["cut"] is True
    assert utts[0]["audio_end"] == (len(LEAD) + 47) * 32  # a frame before the gap's lowest


def test_least_speech_like_takes_the_quieter_side_of_the_deepest_minimum() -> None:
    probs = [1.0, 0.9, 1.0, 1.0, 0.6, 1.0, 1.0]
    levels = [-20.0, -20, -20, -20, -20, -40, -20]  # the frame after the minimum is the quiet one
    assert least_speech_like(probs, levels) in (5, 6)
    assert least_speech_like([1.0] * 6, [-20.0] * 6) == 3  # nothing to go by: the middle


def test_speech_heard_after_a_late_cut_stays_in_the_next_utterance() -> None:
    """A cut at the end of the wait falls well back in the held audio; the speech already heard after
    it belongs to the new utterance, which must not end at its first frame when the speaker
    pauses (that dropped up to a second of speech: 1.8 % lost in music noise at 20 dB)."""
    speech = [1.0] * 136  # the speaker stops just as the wait for a dip ends (4.35 s)
    speech[100] = 0.8
    utts = _run(LEAD + speech + [0.0] * 40, PARAMS)
    assert [u["cut"] for u in utts] == [True, False]
    assert abs(utts[1]["end"] - (len(LEAD) + 136) * 32) <= 32


def test_an_utterance_ending_at_a_pause_keeps_the_soft_ending_the_detector_still_hears() -> None:
    """The last word fades to the noise floor while the detector still hears it (0.6): the
    audio ends ``_FADE_MS`` (3 frames) after the detector's last speech frame, not 128 ms
    after the last frame above the floor (that clipped the word: 24 % of the utterances that
    closed at a pause at 15 dB SNR ended inside a word)."""
    first = [1.0] * 60 + [0.6] * 4  # 1.92 s of speech, then 4 frames of a soft ending
    probs = LEAD + first + [0.05] * 20 + [1.0] * 60 + [0.0] * 30
    quiet = [*range(len(LEAD)), *range(len(LEAD) + 60, len(LEAD) + 84)]
    utts = _run(probs, PARAMS, quiet=quiet)
    assert [u["cut"] for u in utts] == [False, False]
    assert utts[0]["audio_end"] == (len(LEAD) + len(first) + 3) * 32
    assert utts[1]["audio_start"] >= utts[0]["audio_end"]


def test_a_wait_that_ends_in_a_pause_ends_the_utterance_at_that_pause() -> None:
    """No dip when the speech reaches the limit; as the wait ends, the speaker pauses. The
    utterance ends at that pause with the last word's fade (3 frames), and the speech after
    it opens the next utterance (the old code cut where the pause began, clipping the fade,
    and handed the pause to the next utterance)."""
    pause_at = 133  # speech frames: the limit is reached at 124, the wait (11 frames) ends at 134
    speech = [1.0] * pause_at + [0.1] * 4 + [1.0] * 40
    utts = _run(LEAD + speech + [0.0] * 30, PARAMS)
    assert utts[0]["cut"] is True
    assert utts[0]["audio_end"] == (len(LEAD) + pause_at + 3) * 32
    assert utts[1]["start"] == (len(LEAD) + pause_at + 4) * 32


def test_a_sentence_shorter_than_the_limit_is_not_split_at_a_short_pause() -> None:
    """1.9 s of speech, a 224 ms pause, 1.3 s more: one utterance, closed at the real pause
    after it (the old 150 ms short-pause rule split it in two)."""
    probs = LEAD + [1.0] * 60 + [0.05] * 7 + [1.0] * 40 + [0.0] * 30
    utts = _run(probs, PARAMS)
    assert len(utts) == 1
    assert utts[0]["cut"] is False
    assert utts[0]["end"] == (len(LEAD) + 107) * 32


def test_a_short_pause_still_ends_an_utterance_when_asked_to() -> None:
    probs = LEAD + [1.0] * 60 + [0.05] * 7 + [1.0] * 40 + [0.0] * 30
    utts = _run(probs, VadParams(max_segment_ms=4000, prefix_padding_ms=0, min_pause_ms=150))
    assert [u["cut"] for u in utts] == [False, False]
