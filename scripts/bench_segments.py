"""Segmentation on real recorded speech in noise: speech lost, cuts inside words, lengths.

Runs the client segmenter (``translator/listen/segmenter.py``) offline, with each
speech detector, over continuous real English (LibriVox and telephone prompts joined
by 50 to 200 ms gaps, from Debian's packages: see ``tests/realspeech/``) with
pink, babble or music-like noise at 20, 15, 10 and 5 dB SNR and input gain 0, -6 and
-12 dB. Prints one JSON object:

* ``speech_lost_pct``: reference speech (10 ms frames of the clean recording) outside
  every utterance's audio;
* ``cuts_inside_word_pct``: length cuts (``cut: true``) that fall inside a word, by
  forced alignment (pocketsphinx), with 20 ms of grace at each edge;
* ``pause_closes_inside_word_pct``: utterances that end at a pause (not cut) whose audio
  ends inside a word, by the same criterion (a clipped soft ending, or the next word's onset);
* ``short_clips_split``: clips (each a recorded sentence or prompt) whose speech is
  shorter than ``max_segment_ms`` with an utterance's end inside them (20 ms grace), of
  ``short_clips``;
* ``longest_utterance_ms`` (audio, padding included) and ``longest_speech_ms``;
* ``silent_utterances``: utterances holding no reference speech;
* ``cpu_s_per_audio_hour`` of the segmenter with its detector.

    .venv/bin/python scripts/bench_segments.py            # about 2 minutes (alignments are cached)
    .venv/bin/python scripts/bench_segments.py --quick    # one noise, fewer levels
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import realspeech as rs  # noqa: E402
from translator.listen.segmenter import (  # noqa: E402
    DetectorKind,
    SegmentClose,
    Segmenter,
    SegmentOpen,
    VadParams,
)

_WORD_GRACE_MS = 20


def word_spans(rec: rs.Recording) -> list[tuple[int, int]]:
    """Every aligned word of the recording, on its timeline."""
    clips = {c.name: c for c in rs.english_pool()}
    spans: list[tuple[int, int]] = []
    for u in rec.utterances:
        clip = clips.get(u.clip)
        if clip is None:
            continue
        ref = rs.reference_speech(clip.pcm[: len(clip.pcm) // 240 * 240])
        on = np.flatnonzero(ref)
        offset = u.start_ms - (int(on[0]) * rs.FRAME_MS if on.size else 0)
        spans += [(offset + w.start_ms, offset + w.end_ms) for w in rs.align_words(clip)]
    return spans


def segment(pcm: np.ndarray, params: VadParams) -> tuple[list[dict[str, Any]], float]:
    seg = Segmenter(params, rs.RATE_HZ)
    events: list[tuple[Any, int]] = []  # (event, input position when it came)
    t0 = time.process_time()
    for i in range(0, len(pcm), 480):  # 20 ms chunks, as the pipeline gets them
        events += [(e, seg.position_ms) for e in seg.push(pcm[i : i + 480].tobytes())]
    events += [(e, seg.position_ms) for e in seg.finish()]
    cpu = time.process_time() - t0
    utts: dict[str, dict[str, Any]] = {}
    for e, at_ms in events:
        if isinstance(e, SegmentOpen):
            utts[e.utterance] = {"start": e.start_ms, "audio_start": e.audio_start_ms}
        elif isinstance(e, SegmentClose):
            utts[e.utterance].update(end=e.end_ms, audio_end=e.audio_end_ms, cut=e.cut, decided=at_ms)
    return list(utts.values()), cpu


def score(rec: rs.Recording, utts: list[dict[str, Any]], words: list[tuple[int, int]]) -> dict[str, Any]:
    covered = np.zeros(len(rec.speech), dtype=bool)
    silent = 0
    for u in utts:
        a, b = u["audio_start"] // rs.FRAME_MS, u["audio_end"] // rs.FRAME_MS
        covered[a:b] = True
        silent += not rec.speech[a:b].any()
    lost = float((~covered[rec.speech]).mean() * 100) if rec.speech.any() else 0.0

    def inside_word(at: int) -> bool:
        return any(s + _WORD_GRACE_MS < at < e - _WORD_GRACE_MS for s, e in words)

    cuts = [u["audio_end"] for u in utts if u["cut"]]  # where the audio was cut
    inside = sum(map(inside_word, cuts))
    closes = [u["audio_end"] for u in utts if not u["cut"]]  # where the audio ends at a pause
    closes_inside = sum(map(inside_word, closes))
    limit = VadParams().max_segment_ms or 0
    short = [(c.start_ms, c.end_ms) for c in rec.utterances if c.end_ms - c.start_ms < limit]
    ends = [u["audio_end"] for u in utts]
    split = sum(any(a + _WORD_GRACE_MS < e < b - _WORD_GRACE_MS for e in ends) for a, b in short)
    return {
        "utterances": len(utts),
        "speech_lost_pct": round(lost, 2),
        "length_cuts": len(cuts),
        "cuts_inside_word_pct": round(100 * inside / len(cuts), 1) if cuts else 0.0,
        "pause_closes": len(closes),
        "pause_closes_inside_word_pct": round(100 * closes_inside / len(closes), 1) if closes else 0.0,
        "short_clips": len(short),
        "short_clips_split": split,
        "longest_utterance_ms": max((u["audio_end"] - u["audio_start"] for u in utts), default=0),
        "longest_speech_ms": max((u["end"] - u["start"] for u in utts), default=0),
        "silent_utterances": silent,
        "decided_after_speech_ms_p50": float(np.median([u["decided"] - u["start"] for u in utts] or [0])),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--detectors", default="silero,energy,webrtc")
    ap.add_argument("--early-cut-ms", type=int, default=None, help="VadParams.early_cut_ms (default: off)")
    args = ap.parse_args()
    if (why := rs.missing()) is not None:
        sys.exit(f"bench_segments: {why}")
    wanted = args.detectors.split(",")
    detectors: list[DetectorKind] = [d for d in ("silero", "webrtc", "energy") if d in wanted]
    noises = ["pink"] if args.quick else ["pink", "babble", "music"]
    snrs = [15] if args.quick else [20, 15, 10, 5]
    gains = [0, -12] if args.quick else [0, -6, -12]
    clean = rs.continuous_english(40.0 if args.quick else 70.0)
    words = word_spans(clean)
    audio_h = len(clean.pcm) / rs.RATE_HZ / 3600
    results: list[dict[str, Any]] = []
    for detector in detectors:
        params = VadParams(detector=detector, early_cut_ms=args.early_cut_ms)
        for noise in noises:
            for snr in snrs:
                for gain in gains:
                    rec = rs.degrade(clean, noise, snr, gain, seed=snr)
                    utts, cpu = segment(rec.pcm, params)
                    row = {"detector": detector, "noise": noise, "snr_db": snr, "gain_db": gain}
                    row |= score(rec, utts, words)
                    row["cpu_s_per_audio_hour"] = round(cpu / audio_h, 1)
                    results.append(row)
                    print(json.dumps(row), file=sys.stderr)
    summary = {}
    for detector in detectors:
        rows = [r for r in results if r["detector"] == detector]
        at15 = [r for r in rows if r["snr_db"] == 15]
        cuts15 = sum(r["length_cuts"] for r in at15)
        inside15 = sum(r["length_cuts"] * r["cuts_inside_word_pct"] / 100 for r in at15)
        split15 = sum(r["short_clips_split"] for r in at15), sum(r["short_clips"] for r in at15)
        summary[detector] = {
            "cuts_inside_word_pct_at_15db_pooled": round(100 * inside15 / max(1, cuts15), 1),
            "short_clips_split_at_15db": f"{split15[0]}/{split15[1]}",
            "decided_after_speech_ms_p50_at_15db": float(
                np.median([r["decided_after_speech_ms_p50"] for r in at15])
            ),
            "worst_speech_lost_pct_at_15db": max(r["speech_lost_pct"] for r in at15),
            "worst_cuts_inside_word_pct_at_15db": max(r["cuts_inside_word_pct"] for r in at15),
            "worst_pause_closes_inside_word_pct_at_15db": max(
                r["pause_closes_inside_word_pct"] for r in at15
            ),
            "worst_speech_lost_pct": max(r["speech_lost_pct"] for r in rows),
            "longest_utterance_ms": max(r["longest_utterance_ms"] for r in rows),
            "silent_utterances": sum(r["silent_utterances"] for r in rows),
            "cpu_s_per_audio_hour": round(float(np.median([r["cpu_s_per_audio_hour"] for r in rows])), 1),
        }
    print(
        json.dumps(
            {
                "recording_s": round(len(clean.pcm) / rs.RATE_HZ, 1),
                "words_aligned": len(words),
                "max_segment_ms": VadParams().max_segment_ms,
                "early_cut_ms": args.early_cut_ms,
                "summary": summary,
                "runs": results,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
