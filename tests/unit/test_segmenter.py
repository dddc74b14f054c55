"""Client-side segmentation on recorded speech: boundaries, cuts, no lost or doubled audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile
import yaml

from translator.listen.segmenter import (
    SegmentAudio,
    SegmentClose,
    Segmenter,
    SegmentOpen,
    VadParams,
)

SAMPLES = Path(__file__).resolve().parents[2] / "translator" / "samples"


def _segment(pcm: np.ndarray, params: VadParams, chunk: int = 480) -> list[object]:
    seg = Segmenter(params, 24_000)
    out: list[object] = []
    for i in range(0, len(pcm), chunk):
        out += seg.push(pcm[i : i + chunk].tobytes())
    return out + seg.finish()


def _utterances(events: list[object]) -> list[dict[str, object]]:
    utts: dict[str, dict[str, object]] = {}
    for e in events:
        if isinstance(e, SegmentOpen):
            utts[e.utterance] = {"start": e.start_ms, "audio": b""}
        elif isinstance(e, SegmentAudio):
            utts[e.utterance]["audio"] = utts[e.utterance]["audio"] + e.pcm  # type: ignore[operator]
        elif isinstance(e, SegmentClose):
            utts[e.utterance].update(end=e.end_ms, cut=e.cut)
    return list(utts.values())


@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, dict[str, object]]:
    pcm, rate = soundfile.read(SAMPLES / "en-es-sample.wav", dtype="int16")
    assert rate == 24_000
    return pcm, yaml.safe_load((SAMPLES / "en-es-sample.yaml").read_text(encoding="utf-8"))


def test_one_segment_per_spoken_utterance_within_half_a_second(sample: tuple[np.ndarray, dict]) -> None:
    pcm, scenario = sample
    utts = _utterances(_segment(pcm, VadParams(max_segment_ms=None)))
    spoken = scenario["utterances"]
    assert len(utts) == len(spoken)
    for got, want in zip(utts, spoken, strict=True):
        assert abs(got["start"] - want["start_ms"]) <= 500
        assert abs(got["end"] - want["end_ms"]) <= 500
        assert got["cut"] is False


@pytest.mark.parametrize("params", [VadParams(), VadParams(early_cut_ms=2000)], ids=["default", "early_cut"])
def test_chunk_size_does_not_change_the_result(sample: tuple[np.ndarray, dict], params: VadParams) -> None:
    pcm, _ = sample
    a = _segment(pcm, params, chunk=240)
    b = _segment(pcm, params, chunk=1733)
    assert a == b


def test_long_speech_is_cut_between_words_without_gap_or_overlap(sample: tuple[np.ndarray, dict]) -> None:
    pcm, scenario = sample
    params = VadParams(max_segment_ms=2500)
    utts = _utterances(_segment(pcm, params))
    assert any(u["cut"] for u in utts)
    for prev, nxt in zip(utts, utts[1:], strict=False):
        if prev["cut"]:
            # the next segment's speech starts at or after the cut (its audio continues the
            # previous one's exactly: see the concatenation test)
            assert nxt["start"] >= prev["end"]
    for u in utts:
        assert u["end"] - u["start"] <= params.max_segment_ms + 32
    words = [w for utt in scenario["utterances"] for w in utt["words"]]
    for u in utts:
        if u["cut"]:
            inside = [w for w in words if w[1] < u["end"] < w[2]]
            # a cut lands in a gap between words, or at worst at a word's very edge
            assert all(min(u["end"] - w[1], w[2] - u["end"]) < 60 for w in inside), inside


def test_cut_segments_concatenate_to_the_original_audio(sample: tuple[np.ndarray, dict]) -> None:
    pcm, _ = sample
    utts = _utterances(_segment(pcm, VadParams(max_segment_ms=2500, prefix_padding_ms=0)))
    run: list[dict] = []
    for u in utts:
        run.append(u)
        if not u["cut"]:
            break
    joined = np.frombuffer(b"".join(u["audio"] for u in run), dtype=np.int16)
    start = run[0]["start"] * 24
    # prefix padding 0: the joined audio is the recording from the first speech frame on
    assert np.array_equal(joined, pcm[start : start + joined.size])


def test_silence_and_noise_alone_open_nothing() -> None:
    rng = np.random.default_rng(1)
    noise = (rng.normal(0, 0.003, 24_000 * 5) * 32767).astype(np.int16)
    assert _segment(noise, VadParams()) == []
    assert _segment(np.zeros(24_000 * 3, np.int16), VadParams()) == []


def test_threshold_is_honoured() -> None:
    t = np.arange(24_000 * 2) / 24_000
    tone = (0.02 * np.sin(2 * np.pi * 220 * t) * 32767).astype(np.int16)
    quiet_room = np.concatenate([np.zeros(24_000, np.int16), tone, np.zeros(24_000, np.int16)])
    assert _utterances(_segment(quiet_room, VadParams(threshold=0.3)))
    louder_floor = (np.random.default_rng(2).normal(0, 0.01, quiet_room.size) * 32767).astype(np.int16)
    assert not _utterances(_segment(quiet_room + louder_floor, VadParams(threshold=1.0)))


def _decisions(pcm: np.ndarray, params: VadParams) -> list[tuple[SegmentClose, int]]:
    """Each close with the utterance's first speech and the input position it came at."""
    seg = Segmenter(params, 24_000)
    starts: dict[str, int] = {}
    out: list[tuple[SegmentClose, int]] = []
    for i in range(0, len(pcm), 480):
        for e in seg.push(pcm[i : i + 480].tobytes()):
            if isinstance(e, SegmentOpen):
                starts[e.utterance] = e.start_ms
            elif isinstance(e, SegmentClose):
                out.append((e, seg.position_ms - starts[e.utterance]))
    return out


def test_an_early_cut_is_decided_before_the_limit_at_a_gap(sample: tuple[np.ndarray, dict]) -> None:
    pcm, scenario = sample
    late = [(c, after) for c, after in _decisions(pcm, VadParams()) if c.cut]
    early_params = VadParams(early_cut_ms=2000)
    early = [(c, after) for c, after in _decisions(pcm, early_params) if c.cut]
    # at the limit, a cut is decided once the speech has run max_segment_ms; early, as soon as
    # a gap has ended after early_cut_ms
    assert late and all(after >= 4000 for _, after in late)
    assert len(early) > len(late)
    assert any(after < 3000 for _, after in early)
    words = [w for utt in scenario["utterances"] for w in utt["words"]]
    for c, _ in early:
        inside = [w for w in words if w[1] < c.end_ms < w[2]]
        assert all(min(c.end_ms - w[1], w[2] - c.end_ms) < 60 for w in inside), inside
    # no audio lost or doubled: the pieces of a cut run still join up exactly
    utts = _utterances(_segment(pcm, VadParams(early_cut_ms=2000, prefix_padding_ms=0)))
    run = utts[: next(i for i, u in enumerate(utts) if not u["cut"]) + 1]
    joined = np.frombuffer(b"".join(u["audio"] for u in run), dtype=np.int16)
    start = run[0]["start"] * 24
    assert np.array_equal(joined, pcm[start : start + joined.size])
