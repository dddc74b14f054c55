"""Client segmentation against Voice Live's own turn detection, through the real CLI.

Usage::

    python scripts/bench_turns.py                  # client, server_vad, azure_semantic_vad (about 4 minutes)
    python scripts/bench_turns.py --types server_vad --fast

For each ``turn_detection.type``, ``translator run`` translates the same recording in
real time (or ``--fast``) against the bundled emulator (model delay 0), with the English
↔ Spanish pair on one shared input: 14 sentences, alternating languages, 1.2 s
pauses (synthesized with espeak-ng once and cached). Reported per type: ear-voice span
(speech start → first translated audio) and speech end → first audio, both over
both directions; whether every sentence was translated exactly once, in its own
direction, with subtitle times within 500 ms; CPU seconds and wall time of the run.

Not a test: nothing here asserts; it prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import ROOT, machine, pct, talk_recording  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "translator-bench"
TYPES = ("client", "server_vad", "azure_semantic_vad")
PROFILE = """
name: bench turns ({kind})
input: {wav}
output: none
directions:
  - {{source: en-US, target: es-ES}}
  - {{source: es-ES, target: en-US}}
turn_detection:
  type: {kind}
  max_segment_ms: null
"""


def one_run(kind: str, wav: Path, scenario_path: Path, fast: bool) -> dict[str, Any]:
    spoken = yaml.safe_load(scenario_path.read_text("utf-8"))["utterances"]
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        profile = d / "profile.yaml"
        profile.write_text(PROFILE.format(kind=kind, wav=wav), encoding="utf-8")
        args = [
            sys.executable, "-m", "translator", "--log-format", "json", "run", str(profile),
            "--emulator", "--scenario", str(scenario_path), "--no-play", "--quiet",
            "--subtitles", str(d / "out.jsonl"), "--stats", str(d / "stats.json"),
        ]  # fmt: skip
        if fast:
            args.append("--fast")
        env = {**os.environ, "AZURE_COGNITIVE_SERVICES_KEY": "bench-key"}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        wall = time.monotonic() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            return {"exit": proc.returncode, "stderr": proc.stderr[-500:]}
        stats = json.loads((d / "stats.json").read_text("utf-8"))
        lines = [json.loads(x) for x in (d / "out.jsonl").read_text("utf-8").splitlines() if x.strip()]
    evs: list[float] = []
    first: list[float] = []
    for direction in stats["directions"].values():
        for u in direction["per_utterance"]:
            if u["ear_voice_span_ms"] is not None:
                evs.append(u["ear_voice_span_ms"])
            if u["end_to_first_audio_ms"] is not None:
                first.append(u["end_to_first_audio_ms"])
    got = sorted((x for x in lines if x["kind"] == "translation"), key=lambda x: x["start_ms"])
    exact = len(got) == len(spoken) and all(
        g["source_language"] == u["language"]
        and g["text"] == next(iter(u["translations"].values()))
        and abs(g["start_ms"] - u["start_ms"]) <= 500
        and abs(g["end_ms"] - u["end_ms"]) <= 500
        for g, u in zip(got, spoken, strict=False)
    )
    return {
        "exit": proc.returncode,
        "sentences": len(spoken),
        "translations": len(got),
        "each_once_in_its_direction_times_within_500ms": exact,
        "ear_voice_span_ms": pct(evs, (50, 95)),
        "end_to_first_audio_ms": pct(first, (50, 95)),
        "reconnects": sum(x["reconnects"] for x in stats["directions"].values()),
        "wall_s": round(wall, 1),
        "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--types", nargs="+", choices=TYPES, default=list(TYPES))
    parser.add_argument("--fast", action="store_true", help="stream the file as fast as accepted")
    args = parser.parse_args()
    wav, scenario, _ = talk_recording(CACHE, pause_ms=1200)
    out: dict[str, Any] = {"machine": machine(), "mode": "fast" if args.fast else "realtime", "runs": {}}
    for kind in args.types:
        out["runs"][kind] = one_run(kind, wav, scenario, args.fast)
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
