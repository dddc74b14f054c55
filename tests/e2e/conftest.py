"""Shared helpers for end-to-end tests: run the real CLI as a subprocess, make speech."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from translator.emulator.speechgen import ScriptLine, synthesize, write_scenario

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "translator" / "samples"
SECRET_KEY = "sk-E2E-DISTINCTIVE-9f8e7d6c5b4a"


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str, timeout: float = 180, env: dict[str, str] | None = None, cwd: Path = ROOT) -> Result:
    full_env = {
        **os.environ,
        "AZURE_COGNITIVE_SERVICES_KEY": SECRET_KEY,
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    full_env.pop("AZURE_COGNITIVE_SERVICES_ENDPOINT", None)
    proc = subprocess.run(
        [sys.executable, "-m", "translator", "--log-format", "json", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=cwd,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


async def run_cli_async(*args: str, timeout: float = 240) -> Result:
    """The CLI as a subprocess from async code (an in-process emulator keeps serving)."""
    env = {**os.environ, "AZURE_COGNITIVE_SERVICES_KEY": SECRET_KEY, "PYTHONUNBUFFERED": "1"}
    env.pop("AZURE_COGNITIVE_SERVICES_ENDPOINT", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "translator",
        "--log-format",
        "json",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return Result(proc.returncode or 0, out.decode(), err.decode())


def start_cli(*args: str) -> subprocess.Popen[str]:
    """The CLI as a running process (for tests that signal or kill it), JSON logs on stderr."""
    env = {**os.environ, "AZURE_COGNITIVE_SERVICES_KEY": SECRET_KEY, "PYTHONUNBUFFERED": "1"}
    env.pop("AZURE_COGNITIVE_SERVICES_ENDPOINT", None)
    return subprocess.Popen(
        [sys.executable, "-m", "translator", "--log-format", "json", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_profile(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


PAIR_PROFILE = """
name: e2e pair
input: {input}
directions:
  - {{source: en-US, target: es-ES}}
  - {{source: es-ES, target: en-US}}
turn_detection:
  type: client
  max_segment_ms: {max_segment}
"""


@pytest.fixture(scope="session")
def sample_scenario() -> dict[str, Any]:
    import yaml

    return yaml.safe_load((SAMPLES / "en-es-sample.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def continuous(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    """The benchmarks' ~40 s of continuous synthetic speech: WAV, scenario file and dict."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from benchlib import continuous_recording

    return continuous_recording(tmp_path_factory.mktemp("continuous"))


def words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


def assert_every_word_once(lines: list[dict[str, Any]], scenario: dict[str, Any], target: str) -> list[Any]:
    """The source and translation lines, in time order, say every word of the scenario once
    and in order (however the speech was cut); returns the source lines."""
    sources = sorted((x for x in lines if x["kind"] == "source"), key=lambda x: x["start_ms"])
    translations = sorted((x for x in lines if x["kind"] == "translation"), key=lambda x: x["start_ms"])
    spoken = [w for u in scenario["utterances"] for w in words(u["transcript"])]
    assert [w for s in sources for w in words(s["text"])] == spoken, [s["text"] for s in sources]
    said = [w for t in translations for w in words(t["text"])]
    assert said == [w for u in scenario["utterances"] for w in words(u["translations"][target])]
    return sources


@pytest.fixture(scope="session")
def many_recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    """Three English utterances with Spanish, French and German translations."""
    d = tmp_path_factory.mktemp("many")
    script = [
        ScriptLine(
            "en-US",
            "Welcome to the annual conference.",
            {
                "es-ES": "Bienvenidos a la conferencia anual.",
                "fr-FR": "Bienvenue à la conférence annuelle.",
                "de-DE": "Willkommen zur Jahreskonferenz.",
            },
        ),
        ScriptLine(
            "en-US",
            "Lunch is served at noon.",
            {
                "es-ES": "El almuerzo se sirve a mediodía.",
                "fr-FR": "Le déjeuner est servi à midi.",
                "de-DE": "Das Mittagessen wird um zwölf serviert.",
            },
        ),
        ScriptLine(
            "en-US",
            "Please switch off your phones.",
            {
                "es-ES": "Por favor, apaguen sus teléfonos.",
                "fr-FR": "Veuillez éteindre vos téléphones.",
                "de-DE": "Bitte schalten Sie Ihre Telefone aus.",
            },
        ),
    ]
    scenario = synthesize(script, d / "many.wav")
    write_scenario(scenario, d / "many.yaml")
    return d / "many.wav", d / "many.yaml", scenario
