"""Helpers: the real CLI against an in-process emulator that misbehaves on demand
(the hostile fault kinds of ``translator/emulator/hostile.py``, given in a scenario file)."""

from __future__ import annotations

import asyncio
import base64
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from translator.emulator import Emulator, EmulatorOptions, load_scenario

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "translator" / "samples"
HOSTILE_KEY = "sk-Hostile/Key+Distinct=9f8e7d6c5b4a3210"
KEY_FORMS = {
    "plain": HOSTILE_KEY,
    "prefix": HOSTILE_KEY[:12],
    "base64": base64.b64encode(HOSTILE_KEY.encode()).decode(),
    "base64url": base64.urlsafe_b64encode(HOSTILE_KEY.encode()).decode().rstrip("="),
    "url": quote(HOSTILE_KEY, safe=""),
}
PROFILE = """
name: hostile
input: {input}
service: {{connect_timeout_s: {timeout}}}
directions:
  - {{source: en-US, target: es-ES}}
  - {{source: es-ES, target: en-US}}
turn_detection: {{type: client, max_segment_ms: null}}
"""


@dataclass
class Outcome:
    code: int
    stdout: bytes
    stderr: bytes
    took_s: float
    out: Path
    emulator: Emulator

    def logged(self, event: str) -> list[str]:
        return [
            line
            for line in self.stderr.decode(errors="replace").splitlines()
            if f'"event": "{event}"' in line
        ]

    def every_byte(self) -> bytes:
        files = b"".join(p.read_bytes() for p in sorted(self.out.rglob("*")) if p.is_file())
        return self.stdout + self.stderr + files

    def translations(self) -> list[dict[str, Any]]:
        import json

        path = self.out / "all.jsonl"
        lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        return sorted((x for x in lines if x["kind"] == "translation"), key=lambda x: x["start_ms"])


def scenario_with(tmp: Path, faults: list[dict[str, Any]], edit: Any = None) -> Path:
    data = yaml.safe_load((SAMPLES / "en-es-sample.yaml").read_text(encoding="utf-8"))
    data["audio"] = str(SAMPLES / "en-es-sample.wav")
    data["faults"] = faults
    if edit is not None:
        edit(data)
    path = tmp / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


async def run_hostile(
    tmp: Path,
    faults: list[dict[str, Any]],
    *,
    edit: Any = None,
    extra: tuple[str, ...] = (),
    connect_timeout_s: float = 15,
    timeout_s: float = 240,
    outputs: tuple[str, ...] | None = None,
    realtime: bool = False,
) -> Outcome:
    """Translate the bundled sample through the CLI against an emulator with ``faults``."""
    scenario = load_scenario(scenario_with(tmp, faults, edit))
    profile = tmp / "pair.yaml"
    profile.write_text(
        PROFILE.format(input=SAMPLES / "en-es-sample.wav", timeout=connect_timeout_s), encoding="utf-8"
    )
    out = tmp / "out"
    env = {**os.environ, "AZURE_COGNITIVE_SERVICES_KEY": HOSTILE_KEY, "PYTHONUNBUFFERED": "1"}
    env.pop("AZURE_COGNITIVE_SERVICES_ENDPOINT", None)
    emulator = Emulator(EmulatorOptions(scenario=scenario))
    async with emulator:
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "translator",
            "--log-format",
            "json",
            *extra,
            "run",
            str(profile),
            "--endpoint",
            emulator.url,
            "--no-play",
            *(() if realtime else ("--fast",)),
            *(outputs if outputs is not None else _outputs(out)),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout_s)
        took_s = time.monotonic() - started
    return Outcome(proc.returncode or 0, stdout, stderr, took_s, out, emulator)


def _outputs(out: Path) -> tuple[str, ...]:
    return (
        "--stats",
        str(out / "stats.json"),
        "--subtitles",
        str(out / "all.jsonl"),
        "--subtitles",
        str(out / "all.srt"),
        "--subtitles",
        str(out / "all.vtt"),
        "--audio-out",
        str(out / "speech.wav"),
    )


def assert_no_key(outcome: Outcome) -> None:
    data = outcome.every_byte()
    for name, form in KEY_FORMS.items():
        assert form.encode() not in data, f"the key's {name} form reached the output"


def expected_translations() -> list[str]:
    data = yaml.safe_load((SAMPLES / "en-es-sample.yaml").read_text(encoding="utf-8"))
    return [next(iter(u["translations"].values())) for u in data["utterances"]]
