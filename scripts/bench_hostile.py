"""What the client withstands, measured: prints one JSON object.

- ``storm``: connection attempts per minute per direction against an emulator whose
  ``expires_at`` cannot be trusted (0, in the past) or that expires every connection
  after a second, over the bundled sample in real time (about 22 s a run);
- ``profiles``: ``translator check`` on hostile profiles (YAML bomb, 5,000-deep nesting,
  20k unknown keys, 6,000 directions, a 20k-entry glossary): wall time, peak RSS and
  exit status.

``python scripts/bench_hostile.py [--only storm|profiles]``. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hostile.server import run_hostile  # noqa: E402
from tests.hostile.test_profiles import ONE_WAY, REFUSED  # noqa: E402


async def _storm(name: str, faults: list[dict[str, Any]], expire_after_s: float | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        edit = None
        if expire_after_s is not None:
            faults = [*faults, {"kind": "expire_after_s", "seconds": expire_after_s}]
        outcome = await run_hostile(Path(tmp), faults, edit=edit, extra=(), realtime=True)
        records = outcome.emulator.records
        per_direction = len(records) / 2
        return {
            "case": name,
            "exit_status": outcome.code,
            "run_s": round(outcome.took_s, 1),
            "connections": len(records),
            "attempts_per_minute_per_direction": round(per_direction / outcome.took_s * 60, 1),
            "translations": len(outcome.translations()),
        }


async def storm() -> list[dict[str, Any]]:
    cases = [
        ("expires_at 0", [{"kind": "expires_at", "seconds": 0}], None),
        ("expires_at in the past", [{"kind": "expires_at", "seconds": 1000}], None),
        ("every connection expires after 1 s", [], 1.0),
        ("every connection expires after 3 s", [], 3.0),
    ]
    return list(await asyncio.gather(*(_storm(*c) for c in cases)))


def _check(path: Path) -> dict[str, Any]:
    started = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run(
        [sys.executable, "-m", "translator", "check", str(path)],
        capture_output=True, cwd=ROOT, check=False, env={**os.environ},
    )  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "exit_status": done.returncode,
        "seconds": round(time.monotonic() - started, 2),
        "peak_rss_mb": round(max(peak, before) / 1024, 1),
    }


def profiles() -> dict[str, Any]:
    out: dict[str, Any] = {}
    glossary = "".join(f"  - {{term: term{i}, translation: t{i}}}\n" for i in range(20000))
    texts = {k: REFUSED[k][0] for k in ("yaml-bomb", "deep-flow", "20k-unknown-keys", "6000-directions")}
    texts["20k-glossary (valid)"] = ONE_WAY + "glossary:\n" + glossary
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in texts.items():
            path = Path(tmp) / "p.yaml"
            path.write_text(text, encoding="utf-8")
            out[name] = {"bytes": len(text.encode()), **_check(path)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["storm", "profiles"])
    args = parser.parse_args()
    result: dict[str, Any] = {}
    if args.only in (None, "profiles"):
        result["profiles"] = profiles()
    if args.only in (None, "storm"):
        result["storm"] = asyncio.run(storm())
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
