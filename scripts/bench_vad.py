"""Speech detectors on real recorded speech in noise: missed speech, false speech, CPU.

Usage::

    python scripts/bench_vad.py            # about 120 s of real speech per condition
    python scripts/bench_vad.py --quick    # the 40 s recording only

Corpus (``tests/realspeech/``): Debian's asterisk prompts (English and Spanish) and
LibriVox clips joined with 50 to 200 ms gaps: the >=70 s continuous English recording
and the en/es alternating one (``--quick``: the ~40 s English one), each with a 2.5 s
pause after every 4th sentence and 2.5 s lead and tail (``with_pauses``), so that false
speech is measured on some 20 % of non-speech. Each condition mixes
pink, babble or music-like noise at 20, 10 or 5 dB SNR (measured over the speech frames
of the clean signal) and then applies input gain 0, -6 or -12 dB; the clean recording at
each gain is the baseline (``noise: none``, left out of the noisy means and worsts).

Detectors (``translator/listen/vad.py``), each made fresh per condition and fed 20 ms
chunks at 24 kHz as the pipeline does:

- ``silero``, ``webrtc`` (mode 3), ``energy`` (today's test as a score): flags by
  ``speech_runs`` (hysteresis on 0.5 / off 0.35, speech >= 64 ms, gaps < 100 ms filled).
- ``segmenter``: today's ``listen/segmenter.Segmenter`` (``VadParams()`` with
  ``max_segment_ms`` off); a frame is speech when it lies between an utterance's first
  and last speech (``SegmentOpen.start_ms`` .. ``SegmentClose.end_ms``), so its 500 ms
  closing silence and 120 ms opening rule count as they do in use.

Figures per condition: ``missed_pct`` = reference speech frames (10 ms) judged non-speech;
``false_pct`` = non-speech frames more than 300 ms from any reference speech judged speech
(``tests/realspeech/`` documents the reference). Per detector: CPU seconds per audio
hour (``time.process_time`` around the detector alone) and the real-time fraction of one
core that 8 directions would take (``cpu_s_per_audio_hour * 8 / 3600``).

``segmenter_today_cuts``: today's ``Segmenter(VadParams())`` (``max_segment_ms`` 4000) on the
continuous recording itself (no added pauses; ``--quick``: the 40 s one), clean and in
pink noise at 15 dB SNR at each gain: speech lost (reference speech outside every
utterance's audio), length cuts and the share inside an aligned English word, the
longest utterance, and utterances holding no speech: the issue's "done when" figures.

Not a test: nothing here asserts; it prints one JSON object.
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
from translator.listen.segmenter import SegmentClose, Segmenter, SegmentOpen, VadParams  # noqa: E402
from translator.listen.vad import make_detector, speech_runs  # noqa: E402

NOISES = ("pink", "babble", "music")
SNRS_DB = (20, 10, 5)
GAINS_DB = (0, -6, -12)
DETECTORS = ("silero", "webrtc", "energy", "segmenter")
CHUNK = rs.RATE_HZ // 50  # 20 ms, as capture delivers


def _detector_flags(kind: str, pcm: np.ndarray) -> tuple[np.ndarray, float]:
    n10 = len(pcm) // (rs.RATE_HZ // 100)
    if kind == "segmenter":
        seg = Segmenter(VadParams(max_segment_ms=None), rs.RATE_HZ)
        events = []
        t0 = time.process_time()
        for i in range(0, len(pcm), CHUNK):
            events += seg.push(pcm[i : i + CHUNK].tobytes())
        events += seg.finish()
        cpu = time.process_time() - t0
        flags = np.zeros(n10, dtype=bool)
        start: int | None = None
        for e in events:
            if isinstance(e, SegmentOpen):
                start = e.start_ms
            elif isinstance(e, SegmentClose) and start is not None:
                flags[start // 10 : e.end_ms // 10] = True
                start = None
        return flags, cpu
    det = make_detector(kind, rs.RATE_HZ)  # type: ignore[arg-type]
    parts = []
    t0 = time.process_time()
    for i in range(0, len(pcm), CHUNK):
        parts.append(det.push(pcm[i : i + CHUNK]))
    cpu = time.process_time() - t0
    probs = np.concatenate(parts)
    return rs.to_10ms(speech_runs(probs, det.frame_ms), det.frame_ms, n10), cpu


CUT_SNR_DB = 15


def segmenter_cuts(rec: rs.Recording) -> list[dict[str, Any]]:
    """Today's Segmenter (``VadParams()``, max_segment_ms 4000) on continuous speech, clean and
    with pink noise at 15 dB SNR at each gain: the issue's done-when figures as they are now."""
    words = rs.recording_words(rec)
    out = []
    for noise, gain in [(None, 0), *(("pink", g) for g in GAINS_DB)]:
        noisy = rs.degrade(rec, noise, CUT_SNR_DB, gain, seed=2)
        seg = Segmenter(VadParams(), rs.RATE_HZ)
        events = []
        for i in range(0, len(noisy.pcm), CHUNK):
            events += seg.push(noisy.pcm[i : i + CHUNK].tobytes())
        events += seg.finish()
        spans = rs.segmenter_spans(events, noisy.pcm)
        judged, inside = rs.cuts_inside_words(spans, noisy, words)
        out.append(
            {
                "noise": noise or "none",
                "snr_db": CUT_SNR_DB if noise else None,
                "gain_db": gain,
                "utterances": len(spans),
                "speech_lost_pct": rs.speech_lost_pct(spans, noisy.speech),
                "length_cuts": sum(s.cut for s in spans),
                "length_cuts_inside_word_pct": round(100 * inside / judged, 1) if judged else None,
                "longest_utterance_ms": max((s.end_ms - s.start_ms for s in spans), default=0),
                "silence_only_utterances": len(rs.silence_only(spans, noisy.speech)),
            }
        )
    return out


def run(quick: bool, detectors: tuple[str, ...]) -> dict[str, Any]:
    sources = [rs.continuous_40s()] if quick else [rs.continuous_english(), rs.alternating()]
    recordings = [rs.with_pauses(r) for r in sources]
    audio_s = sum(r.duration_ms for r in recordings) / 1000
    conditions: list[dict[str, Any]] = []
    cpu: dict[str, float] = dict.fromkeys(detectors, 0.0)
    processed_s: dict[str, float] = dict.fromkeys(detectors, 0.0)
    grid: list[tuple[str | None, int | None, int]] = [(None, None, g) for g in GAINS_DB]
    grid += [(noise, snr, gain) for noise in NOISES for snr in SNRS_DB for gain in GAINS_DB]
    for noise, snr, gain in grid:
        noisy = [rs.degrade(r, noise, snr or 0, gain, seed=i + 1) for i, r in enumerate(recordings)]
        for kind in detectors:
            missed = speech = false = quiet = 0
            for rec in noisy:
                flags, spent = _detector_flags(kind, rec.pcm)
                cpu[kind] += spent
                processed_s[kind] += rec.duration_ms / 1000
                n = min(len(flags), len(rec.speech))
                f, s = flags[:n], rec.speech[:n]
                q = rs.scored_nonspeech(s)
                missed += int((~f[s]).sum())
                speech += int(s.sum())
                false += int(f[q].sum())
                quiet += int(q.sum())
            conditions.append(
                {
                    "detector": kind,
                    "noise": noise or "none",
                    "snr_db": snr,
                    "gain_db": gain,
                    "missed_pct": round(100 * missed / max(speech, 1), 2),
                    "false_pct": round(100 * false / max(quiet, 1), 2),
                }
            )
    summary: dict[str, Any] = {}
    for kind in detectors:
        rows = [c for c in conditions if c["detector"] == kind and c["noise"] != "none"]
        clean = [c for c in conditions if c["detector"] == kind and c["noise"] == "none"]
        per_hour = cpu[kind] / processed_s[kind] * 3600
        summary[kind] = {
            "clean_missed_pct_worst": max(r["missed_pct"] for r in clean),
            "clean_false_pct_worst": max(r["false_pct"] for r in clean),
            "missed_pct_mean": round(float(np.mean([r["missed_pct"] for r in rows])), 2),
            "missed_pct_worst": max(r["missed_pct"] for r in rows),
            "false_pct_mean": round(float(np.mean([r["false_pct"] for r in rows])), 2),
            "false_pct_worst": max(r["false_pct"] for r in rows),
            "cpu_s_per_audio_hour": round(per_hour, 1),
            "eight_directions_core_fraction": round(per_hour * 8 / 3600, 4),
        }
    return {
        "benchmark": "vad",
        "quick": quick,
        "audio_s_per_condition": round(audio_s, 1),
        "recordings": [f"{len(r.utterances)} sentences, {r.duration_ms / 1000:.1f} s" for r in recordings],
        "summary": summary,
        "conditions": conditions,
        "segmenter_today_cuts": segmenter_cuts(sources[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="the ~40 s recording only")
    parser.add_argument("--detectors", nargs="+", choices=DETECTORS, default=list(DETECTORS))
    args = parser.parse_args()
    reason = rs.missing()
    if reason is not None:
        print(json.dumps({"benchmark": "vad", "error": reason}))
        raise SystemExit(2)
    print(json.dumps(run(args.quick, tuple(args.detectors))))


if __name__ == "__main__":
    main()
