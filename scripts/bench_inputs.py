"""Input decoding speed: a 60-minute MP4/AAC against a WAV and a FLAC of the same audio.

Usage::

    python scripts/bench_inputs.py                 # 60 minutes, decode only and through the CLI
    python scripts/bench_inputs.py --minutes 10 --skip-cli

Two measurements, each as a multiple of real time (audio seconds per wall second):

- ``decode``: the input source alone (``open_source(..., realtime=False)``: decode, mono,
  resample to 24 kHz, 20 ms chunks), read to the end in this process: the WAV and the
  FLAC through libsndfile (``FileSource``) and through FFmpeg (``AvSource``), the MP4 through
  FFmpeg. That is the cost of decoding and nothing else.
- ``cli``: ``translator run --fast`` (the real CLI, one direction, client turn detection)
  against the emulator in a child process with model delay 0 and no pacing, as
  ``bench.py --only fast`` runs it: the MP4 and the WAV.

Files are made once with ffmpeg in the benchmark cache (the looped continuous-speech
recording of ``bench.py``, a black 160x120 video at 10 fps for the MP4). Not a test:
nothing here asserts; it prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import tempfile
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
    profile_yaml,
    quiet_logs,
)
from emuproc import EmulatorProcess  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "translator-bench"


def _media(minutes: int) -> dict[str, Path]:
    wav, _, scenario = continuous_recording(CACHE)
    loops = max(1, math.ceil(minutes * 60 / soundfile.info(str(wav)).duration))
    long_wav = CACHE / f"looped-{loops}.wav"
    if not long_wav.exists():
        loop_recording(wav, scenario, loops, long_wav)
    files = {"wav": long_wav, "flac": CACHE / f"looped-{loops}.flac", "mp4": CACHE / f"looped-{loops}.mp4"}
    ff = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y"]
    if not files["flac"].exists():
        subprocess.run([*ff, "-i", str(long_wav), str(files["flac"])], check=True)
    if not files["mp4"].exists():
        video = ["-f", "lavfi", "-i", "color=c=black:s=160x120:r=10"]
        subprocess.run(
            [*ff, *video, "-i", str(long_wav), "-map", "0:v", "-map", "1:a", "-shortest",
             "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "96k", str(files["mp4"])],
            check=True,
        )  # fmt: skip
    return files


async def _decode(source: Any) -> dict[str, Any]:
    wall0, cpu0 = time.monotonic(), time.process_time()
    samples = 0
    async for chunk in source.chunks():
        samples += len(chunk.pcm) // 2
    wall = time.monotonic() - wall0
    audio_s = samples / source.sample_rate_hz
    return {
        "reader": type(source).__name__,
        "audio_s": round(audio_s, 1),
        "wall_s": round(wall, 2),
        "cpu_s": round(time.process_time() - cpu0, 2),
        "speed_x": round(audio_s / wall),
        "speed_per_cpu_s_x": round(audio_s / max(time.process_time() - cpu0, 1e-6)),
    }


async def bench_decode(files: dict[str, Path]) -> dict[str, Any]:
    from translator.audio.av_source import AvSource
    from translator.audio.source import open_source

    return {
        "wav_soundfile": await _decode(open_source(str(files["wav"]), realtime=False)),
        "wav_pyav": await _decode(AvSource(files["wav"], realtime=False)),
        "flac_soundfile": await _decode(open_source(str(files["flac"]), realtime=False)),
        "flac_pyav": await _decode(AvSource(files["flac"], realtime=False)),
        "mp4_aac_pyav": await _decode(open_source(str(files["mp4"]), realtime=False)),
    }


async def _cli(path: Path, name: str) -> dict[str, Any]:
    profile = profile_yaml(CACHE / f"inputs-{name}.yaml", input_spec=str(path))
    stats = CACHE / f"inputs-{name}-stats.json"
    async with EmulatorProcess(pacing=0.0, cpu=1) as emu:
        env = {**os.environ, "AZURE_COGNITIVE_SERVICES_KEY": "bench-key"}
        wall0 = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "translator", "--log-level", "warning", "run", str(profile),
            "--endpoint", emu.url, "--fast", "--no-play", "--quiet",
            "--subtitles", str(CACHE / f"inputs-{name}.jsonl"), "--stats", str(stats),
            env=env, cwd=ROOT, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await proc.communicate()
        wall = time.monotonic() - wall0
    if proc.returncode != 0:
        return {"exit": proc.returncode, "stderr_tail": err.decode(errors="replace")[-300:]}
    summary = json.loads(stats.read_text(encoding="utf-8"))
    audio_s = summary["input_audio_s"]
    return {
        "audio_s": audio_s,
        "wall_s": round(wall, 1),
        "speed_x": round(audio_s / wall, 1),
        "utterances_translated": summary["directions"]["en-US>es-ES"]["utterances"],
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    CACHE.mkdir(parents=True, exist_ok=True)
    files = _media(args.minutes)
    result: dict[str, Any] = {"machine": machine(), "minutes": args.minutes}
    result["decode"] = await bench_decode(files)
    if not args.skip_cli:
        mp4 = await _cli(files["mp4"], "mp4")
        result["cli_fast"] = {"mp4_aac": mp4, "wav": await _cli(files["wav"], "wav")}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=int, default=60, help="minutes of looped speech")
    parser.add_argument("--skip-cli", action="store_true", help="decode only")
    args = parser.parse_args()
    quiet_logs()
    print(json.dumps(asyncio.run(main_async(args)), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
