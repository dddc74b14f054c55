"""Benchmark: one emulator process serving N concurrent real-time sessions.

Starts the emulator (bundled scenario, server VAD, default pacing and delay) in a
child process, then opens ``--sessions`` SDK connections from this process; each
streams the 20 s bundled recording in real time (20 ms appends) and receives the
translations. Prints one JSON object:

- ``vad_lag_ms``: how late each ``speech_stopped`` arrives compared with the audio
  clock (wall time since the session's first append minus ``audio_end_ms``); a
  server that falls behind real time shows a growing lag;
- ``first_audio_ms``: from ``speech_stopped`` to the first ``response.audio.delta``;
- ``server_loop_lag_ms``: the emulator process's event-loop lag (a 10 ms ticker);
- ``responses`` / ``expected``: completed responses.

Usage: ``python scripts/bench_emulator.py [--sessions 50]``. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np
import soundfile
from azure.ai.voicelive.aio import connect
from azure.core.credentials import AzureKeyCredential

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "translator" / "samples" / "en-es-sample.yaml"
WAV = ROOT / "translator" / "samples" / "en-es-sample.wav"
CHUNK = 480


def _stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    a = np.asarray(values)
    return {
        "p50": round(float(np.percentile(a, 50)), 1),
        "p95": round(float(np.percentile(a, 95)), 1),
        "max": round(float(a.max()), 1),
    }


async def _serve(port: int) -> None:
    """Child process: the emulator plus an event-loop lag probe; prints lags on SIGTERM."""
    sys.path.insert(0, str(ROOT))
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    from translator.emulator import Emulator, EmulatorOptions, load_scenario

    lags: list[float] = []
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    emu = Emulator(EmulatorOptions(scenario=load_scenario(SCENARIO)))
    await emu.start("127.0.0.1", port)
    try:
        print("ready", flush=True)
        while not stop.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append((time.perf_counter() - t - 0.01) * 1000)
    finally:
        await emu.stop()
    print(json.dumps(_stats(lags)), flush=True)


async def _session(url: str, pcm: np.ndarray, result: dict[str, list[float]], start_delay_s: float) -> None:
    await asyncio.sleep(start_delay_s)
    async with connect(endpoint=url, credential=AzureKeyCredential("bench"), model="gpt-4o") as conn:
        await conn.session.update(
            session={
                "instructions": "Translate into Spanish (es-ES).",
                "turn_detection": {
                    "type": "server_vad",
                    "create_response": True,
                    "interrupt_response": False,
                },
            }
        )
        t0 = time.monotonic()

        async def send() -> None:
            for i, start in enumerate(range(0, pcm.size, CHUNK)):
                chunk = pcm[start : start + CHUNK].astype("<i2").tobytes()
                await conn.input_audio_buffer.append(audio=base64.b64encode(chunk).decode())
                await asyncio.sleep(max(0.0, t0 + (i + 1) * CHUNK / 24000 - time.monotonic()))

        sender = asyncio.create_task(send())
        stopped_at: float | None = None
        done = 0
        async for event in conn:
            now = time.monotonic()
            if event.type == "input_audio_buffer.speech_stopped":
                result["vad_lag_ms"].append((now - t0) * 1000 - event.audio_end_ms)
                stopped_at = now
            elif event.type == "response.audio.delta" and stopped_at is not None:
                result["first_audio_ms"].append((now - stopped_at) * 1000)
                stopped_at = None
            elif event.type == "response.done":
                done += 1
                result["responses"].append(1.0)
                if done == 4:
                    break
        await sender


async def _bench(sessions: int, port: int) -> dict[str, object]:
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", str(port), stdout=asyncio.subprocess.PIPE
    )
    assert child.stdout is not None
    try:
        if (await child.stdout.readline()).decode().strip() != "ready":
            raise RuntimeError("the emulator process did not start")
        pcm, _ = soundfile.read(WAV, dtype="int16")
        result: dict[str, list[float]] = {"vad_lag_ms": [], "first_audio_ms": [], "responses": []}
        client_lag: list[float] = []
        probe_stop = asyncio.Event()

        async def probe() -> None:
            while not probe_stop.is_set():
                t = time.perf_counter()
                await asyncio.sleep(0.01)
                client_lag.append((time.perf_counter() - t - 0.01) * 1000)

        probe_task = asyncio.create_task(probe())
        started = time.monotonic()
        await asyncio.gather(
            *(_session(f"http://127.0.0.1:{port}", pcm, result, i * 0.02) for i in range(sessions))
        )
        wall = time.monotonic() - started
        probe_stop.set()
        await probe_task
    finally:
        child.send_signal(signal.SIGTERM)
        raw, _ = await asyncio.wait_for(child.communicate(), 30)
        out = raw.decode()
    server_lag = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    return {
        "sessions": sessions,
        "audio_s_per_session": round(pcm.size / 24000, 1),
        "wall_s": round(wall, 1),
        "responses": int(sum(result["responses"])),
        "expected": sessions * 4,
        "vad_lag_ms": _stats(result["vad_lag_ms"]),
        "first_audio_ms": _stats(result["first_audio_ms"]),
        "server_loop_lag_ms": server_lag,
        "client_loop_lag_ms": _stats(client_lag),
        "cpus": os.cpu_count(),
    }


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--sessions", type=int, default=50)
    p.add_argument("--port", type=int, default=18765)
    p.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve is not None:
        asyncio.run(_serve(args.serve))
        return 0
    print(json.dumps(asyncio.run(_bench(args.sessions, args.port))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
