"""The emulator in a child process, for benchmarks: ``async with EmulatorProcess(...)``.

The child (``python scripts/emuproc.py [--scenario F] [--pacing P] [--cpu N] [--timestamps]``)
serves the in-process emulator until ``dump`` arrives on its stdin, optionally pinned to
one CPU so the client under test has the other, and timestamps every
``response.audio.delta`` it sends. Not a test and not part of the package.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
for path in (str(ROOT), str(HERE.parent)):
    if path not in sys.path:
        sys.path.insert(0, path)

from benchlib import quiet_logs  # noqa: E402


class EmulatorProcess:
    """``async with EmulatorProcess(...) as emu: emu.url``; ``await emu.dump()`` for its figures.

    The child serves the in-process emulator (model delay 0 unless told), optionally
    pinned to ``cpu``; with ``timestamps`` it records ``time.monotonic()`` (a clock
    shared by all processes on Linux) of every ``response.audio.delta`` it sends.
    """

    def __init__(
        self,
        *,
        scenario: Path | None = None,
        pacing: float = 0.0,
        cpu: int | None = None,
        timestamps: bool = False,
        faults: dict[str, Any] | None = None,
    ) -> None:
        self._args = ["--pacing", str(pacing)]
        if scenario is not None:
            self._args += ["--scenario", str(scenario)]
        if cpu is not None:
            self._args += ["--cpu", str(cpu)]
        if timestamps:
            self._args.append("--timestamps")
        if faults:
            self._args += ["--faults", json.dumps(faults)]
        self.url = ""
        self._proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> EmulatorProcess:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(HERE),
            *self._args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
        )
        assert self._proc.stdout is not None
        line = await asyncio.wait_for(self._proc.stdout.readline(), 60)
        if not line.startswith(b"ready "):
            raise RuntimeError(f"emulator child did not start: {line!r}")
        self.url = line.split()[1].decode()
        return self

    async def dump(self) -> dict[str, Any]:
        """Stop the child and return what it measured."""
        assert self._proc is not None and self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(b"dump\n")
        await self._proc.stdin.drain()
        line = await asyncio.wait_for(self._proc.stdout.readline(), 60)
        result: dict[str, Any] = json.loads(line)
        return result

    async def __aexit__(self, *exc: object) -> None:
        if self._proc is not None and self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.terminate()
            await self._proc.wait()


async def _emulator_child(args: argparse.Namespace) -> None:
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    quiet_logs()
    from translator.emulator import Emulator, EmulatorOptions, FaultPlan, load_scenario, server
    from translator.emulator.record import ConnectionRecord

    sent: dict[int, list[float]] = {}
    first_append: list[float] = []

    class _Sent(list[str]):
        """The record's list of sent event types, with the send time of each audio delta."""

        def __init__(self, times: list[float]) -> None:
            super().__init__()
            self._times = times

        def append(self, type_: str) -> None:
            if type_ == "response.audio.delta":
                self._times.append(time.monotonic())
            super().append(type_)

    class _TimedRecord(ConnectionRecord):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.sent_types = _Sent(sent.setdefault(self.index, []))

        def add_received(self, event: dict[str, Any]) -> dict[str, Any]:
            if not first_append and event.get("type") == "input_audio_buffer.append":
                first_append.append(time.monotonic())
            return super().add_received(event)

    if args.timestamps:  # benchmark instrumentation only: observe the emulator's own records
        server.ConnectionRecord = _TimedRecord  # type: ignore[misc]
    faults = FaultPlan()
    spec = json.loads(args.faults) if args.faults else {}
    if "expire_after_s" in spec:
        faults.expire_after_s = float(spec["expire_after_s"])
    for kind, utterances in spec.get("per_utterance", {}).items():
        for u in utterances:
            faults.add(kind, int(u))
    options = EmulatorOptions(
        scenario=load_scenario(Path(args.scenario)) if args.scenario else None,
        model_delay_ms=0,
        pacing=args.pacing,
        faults=faults,
    )
    cpu0 = time.process_time()
    async with Emulator(options) as emu:
        print("ready", emu.url, flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.readline)
        result = {
            "audio_delta_sent_s": {str(k): v for k, v in sent.items()},
            "first_append_s": first_append,
            "connections": len(emu.records),
            "close_codes": [r.close_code for r in emu.records],
            "cpu_s": round(time.process_time() - cpu0, 2),
        }
    print(json.dumps(result), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="serve the emulator until 'dump' arrives on stdin")
    parser.add_argument("--scenario")
    parser.add_argument("--pacing", type=float, default=0.0)
    parser.add_argument("--cpu", type=int)
    parser.add_argument("--timestamps", action="store_true")
    parser.add_argument("--faults", help="JSON: {expire_after_s: S, per_utterance: {kind: [k, ...]}}")
    asyncio.run(_emulator_child(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
