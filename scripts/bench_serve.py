"""Benchmark the audience server; prints one JSON object.

1. Delivery (``--levels``): the audience server runs in a child process pinned to one core
   and is fed translated speech for 3 languages in real time (20 ms service deltas, as the
   run's loop hands them over). Simulated listeners (raw WebSocket clients, spread over the
   3 languages, in this process on the other core) connect; for each listener count the
   server reports the added delivery latency (service audio delta handed to the server →
   Opus frame written to the listener's socket) p50/p99/max, frames skipped and listeners
   dropped, and its CPU time; the listeners count the bytes they receive.
   The largest count with no listener more than 500 ms behind (max lag ≤ 500 ms, nothing
   skipped or dropped) is ``max_listeners_one_core``.
   On a shared machine the child gets only its share of the core (``cpu_share``); when that
   is less than it needs, frames queue and the lag grows, so ``listeners_per_core_by_cpu``
   also reports what the measured CPU cost per listener allows on a whole core.
2. Ear-voice span (``--evs``): the real CLI on the bundled English/Spanish sample through the
   emulator, with ``--serve``, once with no listener and once with ``--evs-listeners``
   connected; ear-voice span p95 over both directions' utterances.

Usage: python scripts/bench_serve.py [--levels 0,250,500,750,1000] [--seconds 8] [--evs-listeners 500]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("es-ES", "fr-FR", "de-DE")


# -- the server side (child process) -----------------------------------------------------------


def serve_child() -> None:
    """Audience server + a real-time feeder; prints its port, then answers 'report' lines on stdin."""
    import soundfile

    from translator import logs
    from translator.events import TranslationAudio
    from translator.serve import AudienceServer, ServeOptions
    from translator.subtitles.options import SubtitleOptions

    logs.configure(level="warning", fmt="json")
    os.sched_setaffinity(0, {0})
    speech, _ = soundfile.read(ROOT / "translator" / "samples" / "en-es-sample.wav", dtype="int16")
    pcm = speech.tobytes()
    server = AudienceServer(
        [("en-US", t) for t in LANGS], ServeOptions("127.0.0.1", 0, None, 100_000), SubtitleOptions(), "bench"
    )

    async def main() -> None:
        server.start()
        print(server.port, flush=True)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        feeder = asyncio.ensure_future(feed())
        cpu0, wall0 = time.process_time(), time.monotonic()
        while line := await reader.readline():
            if line.strip() == b"reset":
                assert server.hub is not None
                server.hub.stats.lags_s.clear()
                server.hub.stats.frames_skipped = server.hub.stats.listeners_dropped = 0
                server.hub.stats.frames_written = 0
                cpu0, wall0 = time.process_time(), time.monotonic()
            elif line.strip() == b"report":
                assert server.hub is not None
                s = server.hub.stats
                lags = sorted(s.lags_s)
                report = {
                    "cpu_s": time.process_time() - cpu0,
                    "wall_s": time.monotonic() - wall0,
                    "lag_ms": {
                        "p50": round(1000 * lags[len(lags) // 2], 2) if lags else None,
                        "p99": round(1000 * lags[int(len(lags) * 0.99)], 2) if lags else None,
                        "max": round(1000 * lags[-1], 2) if lags else None,
                    },
                    "frames_written": s.frames_written,
                    "frames_skipped": s.frames_skipped,
                    "listeners_dropped": s.listeners_dropped,
                    "listeners": server.app.audio_listeners if server.app else 0,
                }
                print(json.dumps(report), flush=True)
        feeder.cancel()
        await server.aclose()

    async def feed() -> None:
        step = 480 * 2  # 20 ms at 24 kHz
        pos, next_at = 0, time.monotonic()
        while True:
            chunk = pcm[pos : pos + step]
            pos = (pos + step) % (len(pcm) - step)
            for lang in LANGS:
                server.handle(TranslationAudio(f"en-US>{lang}", "u1", chunk, 24_000))
            next_at += 0.02
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    asyncio.run(main())


# -- simulated listeners -----------------------------------------------------------------------


class Listeners:
    """Raw WebSocket clients that only count bytes (and send a pong now and then)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.bytes = 0
        self.failed = 0
        self._tasks: list[asyncio.Task[None]] = []

    async def add(self, count: int, langs: tuple[str, ...]) -> None:
        opened: list[asyncio.Future[None]] = []
        for i in range(count):
            ready = asyncio.get_running_loop().create_future()
            opened.append(ready)
            self._tasks.append(asyncio.ensure_future(self._listen(f"/audio/{langs[i % len(langs)]}", ready)))
            if i % 50 == 49:
                await asyncio.sleep(0.05)
        await asyncio.gather(*opened, return_exceptions=True)

    async def _listen(self, path: str, ready: asyncio.Future[None]) -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            key = base64.b64encode(os.urandom(16)).decode()
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
            )
            head = await reader.readuntil(b"\r\n\r\n")
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                raise ConnectionError(head[:40])
        except (OSError, asyncio.IncompleteReadError, ConnectionError):
            self.failed += 1
            ready.set_result(None)
            return
        ready.set_result(None)
        pong = bytes((0x8A, 0x80)) + os.urandom(4)  # masked, empty: keeps the server's heartbeat happy
        last_pong = time.monotonic()
        try:
            while data := await reader.read(65536):
                self.bytes += len(data)
                if time.monotonic() - last_pong > 5:
                    writer.write(pong)
                    last_pong = time.monotonic()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def close(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()


async def delivery(levels: list[int], seconds: float) -> list[dict[str, Any]]:
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--role", "server",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        cwd=ROOT,
    )  # fmt: skip
    assert child.stdin is not None and child.stdout is not None
    port = int(await child.stdout.readline())
    results = []
    for n in levels:
        listeners = Listeners(port)
        await listeners.add(n, LANGS)
        await asyncio.sleep(1.0)  # settle
        child.stdin.write(b"reset\n")
        before = listeners.bytes
        await asyncio.sleep(seconds)
        child.stdin.write(b"report\n")
        report = json.loads(await child.stdout.readline())
        got = listeners.bytes - before
        await listeners.close()
        await asyncio.sleep(0.5)
        connected = n - listeners.failed
        report["asked"] = n
        report["connected"] = connected
        report["bytes_per_listener_s"] = round(got / connected / report["wall_s"], 1) if connected else None
        report["kbit_per_listener"] = (
            round(8 * got / connected / report["wall_s"] / 1000, 1) if connected else None
        )
        results.append(report)
        print(json.dumps(report), file=sys.stderr)
    child.stdin.close()
    await child.wait()
    return results


# -- ear-voice span through the CLI ------------------------------------------------------------


async def evs_run(listeners_count: int) -> dict[str, Any]:
    stats = Path(tempfile.mktemp(suffix=".json"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "translator", "--log-format", "json", "run", "configs/en-es.yaml", "--emulator",
        "--no-play", "--quiet", "--serve", "127.0.0.1:0", "--stats", str(stats),
        stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL, cwd=ROOT,
    )  # fmt: skip
    assert proc.stderr is not None
    port = 0
    while line := await proc.stderr.readline():
        if b'"serve_listening"' in line:
            port = int(json.loads(line)["port"])
            break
    listeners = Listeners(port)
    drain = asyncio.ensure_future(proc.stderr.read())
    await listeners.add(listeners_count, ("es-ES", "en-US", "original"))
    await proc.wait()
    await drain
    await listeners.close()
    summary = json.loads(await asyncio.to_thread(stats.read_text))
    await asyncio.to_thread(stats.unlink)
    spans = [
        u["ear_voice_span_ms"]
        for d in summary["directions"].values()
        for u in d["per_utterance"]
        if u["ear_voice_span_ms"]
    ]
    spans.sort()
    return {
        "listeners": listeners_count - listeners.failed,
        "utterances": len(spans),
        "ear_voice_span_ms_p95": round(spans[min(len(spans) - 1, int(0.95 * len(spans)))], 1),
        "ear_voice_span_ms_p50": round(statistics.median(spans), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", default="bench")
    parser.add_argument("--levels", default="0,250,500,750,1000")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--evs-listeners", type=int, default=500)
    parser.add_argument("--no-evs", action="store_true")
    args = parser.parse_args()
    if args.role == "server":
        serve_child()
        return
    os.sched_setaffinity(0, {1 % os.cpu_count()})  # type: ignore[operator]
    levels = [int(x) for x in args.levels.split(",")]

    async def bench() -> dict[str, Any]:
        rows = await delivery(levels, args.seconds)
        base = next((r for r in rows if r["asked"] == 0), None)
        for r in rows:
            r["cpu_share"] = round(r["cpu_s"] / r["wall_s"], 3)  # of one core: what the scheduler gave
            if base is not None and r["connected"]:
                extra = (r["cpu_s"] / r["wall_s"]) - (base["cpu_s"] / base["wall_s"])
                r["cpu_ms_per_listener_s"] = round(1000 * extra / r["connected"], 3)
                # the whole core, were it ours: what the measured cost per listener allows
                if extra > 0:
                    r["listeners_per_core_by_cpu"] = int(
                        (1 - base["cpu_s"] / base["wall_s"]) / (extra / r["connected"])
                    )
        ok = [
            r["connected"]
            for r in rows
            if r["connected"] == r["asked"]
            and (r["lag_ms"]["max"] or 0) <= 500
            and r["frames_skipped"] == 0
            and r["listeners_dropped"] == 0
        ]
        out: dict[str, Any] = {
            "languages": len(LANGS),
            "seconds_per_level": args.seconds,
            "levels": rows,
            "max_listeners_one_core": max(ok, default=0),
        }
        if not args.no_evs:
            alone = await evs_run(0)
            crowded = await evs_run(args.evs_listeners)
            out["ear_voice_span"] = {
                "no_listeners": alone,
                "with_listeners": crowded,
                "p95_difference_ms": round(
                    crowded["ear_voice_span_ms_p95"] - alone["ear_voice_span_ms_p95"], 1
                ),
            }
        return out

    print(json.dumps(asyncio.run(bench()), indent=2))


if __name__ == "__main__":
    main()
