"""Soak (issue 6): a long recording through the emulator with frequent expiries and drops.

Usage::

    python scripts/soak.py                 # 30 minutes of audio, accelerated (about a minute of wall time)
    python scripts/soak.py --minutes 60    # an hour of audio
    python scripts/soak.py --expire-s 3 --fault-rate 0.1 --seed 7
    python scripts/soak.py --turns server_vad   # the service's turn detection instead

The seven-sentence script of ``benchlib`` is spoken with 1.2 s pauses (one utterance
per sentence, ``max_segment_ms`` off, so spoken and translated utterances can be
counted one for one) and looped to ``--minutes``. ``translator run --fast`` (the CLI,
in a child that samples its own memory) streams it to an emulator child (model delay
0, unpaced audio) that closes every connection with ``session_expired`` after
``--expire-s`` seconds and, on a random ``--fault-rate`` share of utterances, drops
the connection mid-response (close 1011 or a TCP abort, half each).

Prints one JSON object: utterances spoken vs translated, whether the translations
are exactly the script's in order (nothing lost, nothing twice), reconnects and
renewals, the emulator's connections and close codes, resident memory at the first
and last audio minute, and the wall time. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (  # noqa: E402
    ROOT,
    SCRIPT,
    loop_recording,
    machine,
    profile_yaml,
    quiet_logs,
)
from emuproc import EmulatorProcess  # noqa: E402

from translator.emulator.speechgen import synthesize  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "translator-bench"
BENCH = Path(__file__).resolve().parent / "bench.py"


def _recording(minutes: float) -> tuple[Path, Path, dict[str, Any]]:
    base = CACHE / "paused.wav"
    if not base.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        scenario = synthesize(SCRIPT, base, pause_ms=1200, word_gap_ms=90, lead_ms=600, tail_ms=600)
        (CACHE / "paused.json").write_text(json.dumps(scenario), encoding="utf-8")
    scenario = json.loads((CACHE / "paused.json").read_text(encoding="utf-8"))
    period_s = (scenario["utterances"][-1]["end_ms"] + 600) / 1000
    loops = max(1, round(minutes * 60 / period_s))
    wav, path = CACHE / f"soak-{loops}.wav", CACHE / f"soak-{loops}.yaml"
    looped = loop_recording(base, scenario, loops, wav, path)
    return wav, path, looped


def _faults(utterances: int, rate: float, expire_s: float, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    chosen = sorted(rng.sample(range(1, utterances), k=int(rate * (utterances - 1))))
    per: dict[str, list[int]] = {"close_1011_mid_response": [], "tcp_abort_mid_response": []}
    for u in chosen:
        per[rng.choice(sorted(per))].append(u)
    return {"expire_after_s": expire_s, "per_utterance": per}


async def soak(args: argparse.Namespace) -> dict[str, Any]:
    wav, scenario_path, scenario = _recording(args.minutes)
    spoken = scenario["utterances"]
    faults = _faults(len(spoken), args.fault_rate, args.expire_s, args.seed)
    out = CACHE / "soak"
    out.mkdir(parents=True, exist_ok=True)
    jsonl, stats, probe = out / "soak.jsonl", out / "stats.json", out / "probe.json"
    for p in (jsonl, stats, probe):
        p.unlink(missing_ok=True)
    profile = profile_yaml(
        out / "soak-profile.yaml", input_spec=str(wav), max_segment_ms=None, turns=args.turns
    )
    env = {**os.environ, "AZURE_COGNITIVE_SERVICES_KEY": "soak-key"}
    t0 = time.monotonic()
    async with EmulatorProcess(scenario=scenario_path, pacing=0.0, cpu=1, faults=faults) as emu:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(BENCH), "--child-client", str(probe), "--",
            "--log-level", "error", "run", str(profile), "--endpoint", emu.url,
            "--fast", "--no-play", "--quiet", "--subtitles", str(jsonl), "--stats", str(stats),
            "--stall-timeout", "5",
            env=env, cwd=ROOT, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await proc.communicate()
        emulator = await emu.dump()
    wall_s = time.monotonic() - t0
    client = json.loads(probe.read_text(encoding="utf-8")) if probe.exists() else {}
    summary = json.loads(stats.read_text(encoding="utf-8")) if stats.exists() else {"directions": {}}
    direction = next(iter(summary["directions"].values()), {})
    lines = [json.loads(x) for x in jsonl.read_text(encoding="utf-8").splitlines() if x.strip()]
    got = [x["text"] for x in sorted(lines, key=lambda x: x["start_ms"]) if x["kind"] == "translation"]
    want = [u["translations"]["es-ES"] for u in spoken]
    rss = client.get("rss_mb_at_audio", {})
    minutes = sorted(int(k.split("_")[0]) for k in rss)
    return {
        "machine": machine(),
        "turn_detection": args.turns,
        "audio_minutes": round(summary.get("input_audio_s", 0) / 60, 1),
        "utterances": {"spoken": len(spoken), "translated": len(got)},
        "translations_exact_in_order": got == want,
        "missing": len([w for w in want if w not in got]),
        "faults_planned": {k: len(v) for k, v in faults["per_utterance"].items()}
        | {"expire_after_s": args.expire_s},
        "reconnects": direction.get("reconnects"),
        "renewals": direction.get("renewals"),
        "retries": direction.get("retries"),
        "emulator_connections": emulator["connections"],
        "emulator_close_codes": dict(collections.Counter(str(c) for c in emulator["close_codes"])),
        "rss_mb": {
            "first_minute": rss.get(f"{minutes[0]}_min") if minutes else None,
            "last_minute": rss.get(f"{minutes[-1]}_min") if minutes else None,
            "end": client.get("rss_mb_end"),
        },
        "exit": client.get("exit", proc.returncode),
        "stderr_tail": err.decode(errors="replace")[-500:] if client.get("exit") != 0 else "",
        "wall_s": round(wall_s, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="soak: expiries and drops over a long recording")
    parser.add_argument(
        "--minutes", type=float, default=30.0, help="audio minutes (default 30, about a minute of wall time)"
    )
    parser.add_argument("--expire-s", type=float, default=3.0, help="connection expiry, wall seconds")
    parser.add_argument("--fault-rate", type=float, default=0.1, help="share of utterances with a drop")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--turns",
        default="client",
        choices=["client", "server_vad", "azure_semantic_vad"],
        help="turn_detection.type: this machine's segmentation or the service's",
    )
    args = parser.parse_args()
    quiet_logs()
    print(json.dumps(asyncio.run(soak(args)), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
