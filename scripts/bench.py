"""Benchmarks of this project's own cost, against the emulator with model delay 0.

Usage::

    python scripts/bench.py                      # all, one JSON object (about 3-4 minutes)
    python scripts/bench.py --only latency       # latency and ear-voice span (one 42 s run)
    python scripts/bench.py --only latency --early-cut-ms 2500   # the same with early cuts
    python scripts/bench.py --only capacity --sessions 100 150 200 --seconds 20
    python scripts/bench.py --only fast          # fast file mode and memory (one accelerated run)
    python scripts/bench.py --only startup

Benchmarks (``--only`` names):

- ``latency``: added latency on both paths, measured inside one client process while the
  emulator (model delay 0) runs in a child process on the other core. Output path: the
  emulator's ``time.monotonic()`` at each ``response.audio.delta`` send → the moment the
  ``TranslationAudio`` is handed to the WAV sink (``monotonic`` is one clock for all
  processes on Linux). Input path: a chunk handed to the pipeline → the ``append``
  carrying its last sample written to the socket. Two directions run side by side on
  the same 40 s continuous-speech recording: ``max_segment_ms`` 4000 and off. With it
  on, the segmenter holds back up to 1 s while a cut may come, so ``capture_to_append``
  includes that designed hold; ``chunk_to_append`` is the processing alone (the newest
  chunk handed → the append it released). Ear-voice span (first speech → first
  translated audio) comes from the same run.
- ``capacity``: N real-time directions (each its own input, segmenter and connection) in one
  client process pinned to CPU 0; the emulator is pinned to CPU 1. Sustained means no chunk
  reached the pipeline more than 100 ms after its real-time due time and every utterance was
  translated. Reports CPU seconds per hour of audio per direction.
- ``fast``: ``translator run --fast`` (the CLI, pacing 0) on 60 minutes of looped recording:
  audio seconds per wall second, and resident memory at 1, 10, 30 and 60 minutes of audio.
- ``startup``: process start → first ``append`` received by the emulator, and the heaviest
  imports (``python -X importtime``).

Not a test: nothing here asserts; it prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (  # noqa: E402
    ROOT,
    continuous_recording,
    loop_recording,
    machine,
    pct,
    profile_yaml,
    quiet_logs,
    rss_mb,
)
from benchrun import run_directions  # noqa: E402
from emuproc import EmulatorProcess  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "translator-bench"
HERE = Path(__file__).resolve()
BENCHMARKS = ("latency", "capacity", "fast", "startup")
PACING = 4.0
"""Capacity: the emulator streams translated audio at 4x real time (its default), not all at once."""
SPREAD_S = 4.0
"""Capacity: starts spread over one max_segment period, as independent speakers' cuts would be."""


# -- latency and ear-voice span --------------------------------------------------------------


async def bench_latency(early_cut_ms: int | None = None) -> dict[str, Any]:
    wav, scenario_path, _ = continuous_recording(CACHE)
    async with EmulatorProcess(scenario=scenario_path, pacing=4.0, cpu=1, timestamps=True) as emu:
        results = await run_directions(
            emu.url,
            wav,
            max_segments=[4000, None],
            stagger_s=1.0,
            record=True,
            wav_dir=CACHE,
            early_cut_ms=early_cut_ms,
        )
        sent = (await emu.dump())["audio_delta_sent_s"]
    out: dict[str, Any] = {}
    for i, r in enumerate(results):
        deltas = sent.get(str(i), [])
        handed = r.audio_handed_s
        n = min(len(deltas), len(handed))
        name = "max_segment_4000" if r.max_segment_ms else "max_segment_off"
        if r.max_segment_ms and early_cut_ms is not None:
            name += f"_early_cut_{early_cut_ms}"
        out[name] = {
            "delta_to_sink_ms": pct([(handed[k] - deltas[k]) * 1000 for k in range(n)]),
            "audio_deltas": {"sent": len(deltas), "handed_to_sink": len(handed)},
            "capture_to_append_ms": pct(r.capture_to_append_ms),
            "chunk_to_append_ms": pct(r.chunk_to_append_ms),
            "ear_voice_span_ms": pct(r.ear_voice_span_ms, (50, 95)),
            "utterances": {"opened": r.opened, "translated": r.translated},
            "input_late_ms": pct(r.late_ms, (50, 99)),
        }
    return out


# -- capacity ----------------------------------------------------------------------------------


async def _capacity_trial(sessions: int, seconds: float) -> dict[str, Any]:
    wav, scenario_path, _ = continuous_recording(CACHE)
    async with EmulatorProcess(scenario=scenario_path, pacing=PACING, cpu=1) as emu:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(HERE),
            "--child-capacity",
            emu.url,
            str(sessions),
            str(seconds),
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
        )
        out, _ = await proc.communicate()
        emulator = await emu.dump()
    trial: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    trial["emulator_cpu_s"] = emulator["cpu_s"]
    return trial


def _capacity_child(url: str, sessions: int, seconds: float) -> None:
    os.sched_setaffinity(0, {0})
    quiet_logs()
    wav, _, _ = continuous_recording(CACHE)
    cpu0, wall0 = time.process_time(), time.monotonic()
    results = asyncio.run(
        run_directions(
            url, wav, max_segments=[4000] * sessions, stagger_s=SPREAD_S / sessions, seconds=seconds
        )
    )
    cpu = time.process_time() - cpu0
    late = [x for r in results for x in r.late_ms]
    opened = sum(r.opened for r in results)
    translated = sum(r.translated for r in results)
    audio_h = sessions * seconds / 3600.0
    print(
        json.dumps(
            {
                "sessions": sessions,
                "audio_s_each": seconds,
                "wall_s": round(time.monotonic() - wall0, 1),
                "input_late_ms": pct(late, (50, 99)),
                "deadline_missed_chunks": sum(1 for x in late if x > 100.0),
                "utterances": {"opened": opened, "translated": translated},
                "sustained": bool(late) and max(late) <= 100.0 and translated == opened,
                "client_cpu_s": round(cpu, 2),
                "cpu_s_per_audio_hour_per_direction": round(cpu / audio_h, 1),
                "client_rss_mb": rss_mb(),
            }
        ),
        flush=True,
    )


async def bench_capacity(sessions: list[int], seconds: float) -> dict[str, Any]:
    trials = [await _capacity_trial(n, seconds) for n in sessions]
    ok = [t["sessions"] for t in trials if t["sustained"]]
    return {"trials": trials, "max_sustained_tried": max(ok) if ok else 0}


# -- fast file mode and memory -------------------------------------------------------------------


def _client_child(out_path: str, argv: list[str]) -> None:
    """Run the CLI in this process while a thread samples RSS against the input's audio clock."""
    from translator import cli
    from translator.listen import pipeline

    pipelines: list[Any] = []
    original_init = pipeline.InputPipeline.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        pipelines.append(self)

    pipeline.InputPipeline.__init__ = init  # type: ignore[method-assign]  # benchmark probe only
    samples: dict[str, float] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            minutes = int(sum(p.audio_ms for p in pipelines) / 60_000)
            if minutes and f"{minutes}_min" not in samples:
                samples[f"{minutes}_min"] = rss_mb()

    thread = threading.Thread(target=sample, daemon=True)
    wall0, cpu0 = time.monotonic(), time.process_time()
    thread.start()
    code = cli.main(argv)
    done.set()
    thread.join()
    result = {
        "exit": code,
        "wall_s": round(time.monotonic() - wall0, 2),
        "cpu_s": round(time.process_time() - cpu0, 2),
        "rss_mb_at_audio": samples,
        "rss_mb_end": rss_mb(),
    }
    Path(out_path).write_text(json.dumps(result), encoding="utf-8")


async def bench_fast(minutes: int) -> dict[str, Any]:
    wav, _, scenario = continuous_recording(CACHE)
    loops = max(1, math.ceil(minutes * 60 / soundfile.info(str(wav)).duration))
    long_wav = CACHE / f"looped-{loops}.wav"
    if not long_wav.exists():
        loop_recording(wav, scenario, loops, long_wav)
    profile = profile_yaml(CACHE / "fast.yaml", input_spec=str(long_wav))
    stats = CACHE / "fast-stats.json"
    probe = CACHE / "fast-probe.json"
    async with EmulatorProcess(pacing=0.0, cpu=1) as emu:
        env = {**os.environ, "AZURE_COGNITIVE_SERVICES_KEY": "bench-key"}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(HERE),
            "--child-client",
            str(probe),
            "--",
            "--log-level",
            "warning",
            "run",
            str(profile),
            "--endpoint",
            emu.url,
            "--fast",
            "--no-play",
            "--quiet",
            "--subtitles",
            str(CACHE / "fast.jsonl"),
            "--stats",
            str(stats),
            env=env,
            cwd=ROOT,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await proc.communicate()
        emulator = await emu.dump()
    client = json.loads(probe.read_text(encoding="utf-8"))
    summary = json.loads(stats.read_text(encoding="utf-8"))
    audio_s = summary["input_audio_s"]
    direction = summary["directions"]["en-US>es-ES"]
    return {
        "fast": {
            "audio_s": audio_s,
            "wall_s": client["wall_s"],
            "speedup_x": round(audio_s / client["wall_s"], 1),
            "client_cpu_s": client["cpu_s"],
            "emulator_cpu_s": emulator["cpu_s"],
            "utterances_translated": direction["utterances"],
            "exit": client["exit"],
            "stderr_tail": err.decode(errors="replace")[-300:] if client["exit"] else "",
        },
        "memory": {
            "rss_mb_at_audio": {
                k: v
                for k, v in client["rss_mb_at_audio"].items()
                if k in ("1_min", "10_min", "30_min", "60_min")
            },
            "rss_mb_end": client["rss_mb_end"],
        },
    }


# -- start-up ----------------------------------------------------------------------------------


async def bench_startup() -> dict[str, Any]:
    wav, scenario_path, _ = continuous_recording(CACHE)
    profile = profile_yaml(CACHE / "startup.yaml", input_spec=str(wav))
    env = {**os.environ, "AZURE_COGNITIVE_SERVICES_KEY": "bench-key", "PYTHONUNBUFFERED": "1"}
    runs: list[float] = []
    err = b""
    for importtime in (False, False, False, True):
        async with EmulatorProcess(scenario=scenario_path, cpu=1, timestamps=True) as emu:
            t0 = time.monotonic()
            proc = await asyncio.create_subprocess_exec(
                sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "translator",
                "--log-level", "warning", "run", str(profile), "--endpoint", emu.url,
                "--no-play", "--quiet", "--fast",
                env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            _, err = await proc.communicate()
            first_append = (await emu.dump())["first_append_s"]
            if not importtime and first_append:
                runs.append(round((first_append[0] - t0) * 1000))
    by_root: dict[str, int] = {}
    total = 0
    for line in err.decode(errors="replace").splitlines():
        parts = line.split("|")
        if not (line.startswith("import time:") and len(parts) == 3 and parts[1].strip().isdigit()):
            continue
        name = parts[2].rstrip()
        if not name.startswith("   "):
            total += int(parts[1])
        root = name.strip().split(".")[0]
        by_root[root] = max(by_root.get(root, 0), int(parts[1]))
    top = sorted(by_root.items(), key=lambda kv: -kv[1])[:12]
    return {
        "process_start_to_first_append_ms": runs,
        "imports_total_ms": round(total / 1000),
        "heaviest_packages_cumulative_ms": {k: round(us / 1000) for k, us in top},
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    CACHE.mkdir(parents=True, exist_ok=True)
    wanted = [args.only] if args.only else list(BENCHMARKS)
    result: dict[str, Any] = {"machine": machine()}
    for name in wanted:
        t0 = time.monotonic()
        if name == "latency":
            result["latency"] = await bench_latency(args.early_cut_ms)
        elif name == "capacity":
            result["capacity"] = await bench_capacity(args.sessions, args.seconds)
        elif name == "fast":
            result.update(await bench_fast(args.minutes))
        elif name == "startup":
            result["startup"] = await bench_startup()
        result.setdefault("bench_wall_s", {})[name] = round(time.monotonic() - t0, 1)
    return result


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child-capacity":
        _capacity_child(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--child-client":
        _client_child(sys.argv[2], sys.argv[4:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=BENCHMARKS)
    parser.add_argument(
        "--sessions", type=int, nargs="+", default=[100, 150], help="capacity: directions per trial"
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="capacity: audio per direction")
    parser.add_argument(
        "--early-cut-ms", type=int, default=None, help="latency: turn_detection.early_cut_ms (default off)"
    )
    parser.add_argument("--minutes", type=int, default=60, help="fast: minutes of looped audio")
    args = parser.parse_args()
    quiet_logs()
    print(json.dumps(asyncio.run(main_async(args)), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
