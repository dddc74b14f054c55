"""Real voices, repeated: ``--runs`` consecutive ``--fast`` runs per turn detector on 70 s
or more of continuous real speech (``tests/realspeech/``: LibriVox and telephone
prompts joined by 50 to 200 ms, pink noise at 15 dB SNR, input gain 0, -6 or -12 dB).

Each run is the real CLI against an in-process emulator (model delay 0). A run counts
as finished when the CLI exits 0 within ``--timeout`` seconds. Prints one JSON object:
per turn detector, runs finished, the longest utterance (speech span on the subtitle
timeline) against ``max_segment_ms`` + 1 s, sentences of the recording left mostly
untranslated (under 80 % of their speech inside translated utterances), and wall time.

    .venv/bin/python scripts/soak_real.py                  # 20 runs x 3 detectors
    .venv/bin/python scripts/soak_real.py --runs 3 --turns server_vad
    .venv/bin/python scripts/soak_real.py --runs 4 --turns server_vad --latency 2   # a distant service

``--latency S`` delays every server event by S seconds (the emulator's ``event_latency``
fault), as a distant or loaded service does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import soundfile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import realspeech as rs  # noqa: E402
from translator.emulator import Emulator, EmulatorOptions  # noqa: E402
from translator.emulator.faults import FaultPlan  # noqa: E402

MAX_SEGMENT_MS = 4000
PROFILE = """
name: soak_real {kind}
input: {input}
directions:
  - {{source: en-US, target: es-ES}}
turn_detection:
  type: {kind}
  max_segment_ms: {limit}
"""


def recording(seed: int) -> rs.Recording:
    pool = rs.english_pool()
    k = seed % len(pool)
    rotated = pool[k:] + pool[:k]
    chosen, total = [], 0
    for clip in rotated * 4:
        if total >= 72_000:
            break
        chosen.append(clip)
        total += clip.duration_ms + 125
    clean = rs.join(chosen, rs.gaps(len(chosen), seed))
    return rs.degrade(clean, "pink", 15, (0, -6, -12)[seed % 3], seed=seed)


async def one_run(kind: str, seed: int, folder: Path, timeout_s: float, latency_s: float) -> dict[str, Any]:
    rec = recording(seed)
    wav = folder / f"talk-{seed}.wav"
    soundfile.write(wav, rec.pcm, rs.RATE_HZ, subtype="PCM_16")
    profile = folder / f"{kind}-{seed}.yaml"
    profile.write_text(PROFILE.format(kind=kind, input=wav, limit=MAX_SEGMENT_MS), encoding="utf-8")
    out = folder / f"{kind}-{seed}.jsonl"
    env = {**os.environ, "AZURE_COGNITIVE_SERVICES_KEY": "soak-key", "PYTHONUNBUFFERED": "1"}
    t0 = time.monotonic()
    options = EmulatorOptions(model_delay_ms=0, faults=FaultPlan(event_latency_s=latency_s))
    async with Emulator(options) as emulator:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "translator", "run", str(profile), "--no-play", "--fast", "--quiet",
            "--subtitles", str(out), "--endpoint", emulator.url,
            env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            code = await asyncio.wait_for(proc.wait(), timeout_s)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            code = None
    wall = time.monotonic() - t0
    lines = [json.loads(x) for x in out.read_text("utf-8").splitlines()] if out.exists() else []
    spans = [(x["start_ms"], x["end_ms"]) for x in lines if x.get("kind") == "translation"]
    untranslated = 0
    for u in rec.utterances:
        inside = sum(max(0, min(b, u.end_ms) - max(a, u.start_ms)) for a, b in spans)
        untranslated += inside < 0.8 * (u.end_ms - u.start_ms)
    return {
        "finished": code == 0,
        "audio_s": round(rec.duration_ms / 1000, 1),
        "wall_s": round(wall, 1),
        "utterances": len(spans),
        "longest_ms": max((b - a for a, b in spans), default=0),
        "untranslated_sentences": untranslated,
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {
        "max_segment_ms": MAX_SEGMENT_MS,
        "runs_per_detector": args.runs,
        "event_latency_s": args.latency,
    }
    with tempfile.TemporaryDirectory(prefix="soak-real-") as tmp:
        for kind in args.turns.split(","):
            runs = [
                await one_run(kind, seed, Path(tmp), args.timeout, args.latency) for seed in range(args.runs)
            ]
            report[kind] = {
                "finished": sum(r["finished"] for r in runs),
                "longest_ms": max(r["longest_ms"] for r in runs),
                "within_limit_plus_1s": all(r["longest_ms"] <= MAX_SEGMENT_MS + 1000 for r in runs),
                "untranslated_sentences": sum(r["untranslated_sentences"] for r in runs),
                "sentences": sum(len(recording(s).utterances) for s in range(args.runs)),
                "audio_s_min": min(r["audio_s"] for r in runs),
                "wall_s_max": max(r["wall_s"] for r in runs),
            }
            print(json.dumps({kind: report[kind]}), file=sys.stderr)
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--turns", default="client,server_vad,azure_semantic_vad")
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--latency", type=float, default=0.0, help="delay every server event by S seconds")
    args = ap.parse_args()
    if (why := rs.missing()) is not None:
        sys.exit(f"soak_real: {why}")
    print(json.dumps(asyncio.run(main_async(args)), indent=1))


if __name__ == "__main__":
    main()
