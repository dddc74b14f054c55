"""Hostile profiles: each is refused (or accepted) with one line and exit 2, within a time
and memory bound, through the real CLI in a subprocess limited with ``setrlimit``."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from translator.profile.locales import SPEECH_LOCALES

ROOT = Path(__file__).resolve().parents[2]
MEMORY_LIMIT_BYTES = 1536 * 1024 * 1024  # address space: Python and pydantic take ~400 MB of it
TIME_LIMIT_S = 20.0  # generous: the machine is shared; the fixed loader takes under 3 s
ONE_WAY = "directions: [{source: en-US, target: es-ES}]\n"


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


def check(path: Path) -> tuple[int, str, str, float]:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "translator", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT_S * 3,
        preexec_fn=_limit,
        cwd=ROOT,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started


def _bomb() -> str:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n" + ONE_WAY


def _directions(n: int) -> str:
    tags = sorted(SPEECH_LOCALES)  # real tags: unknown ones are refused
    rows = [f"  - {{source: {s}, target: {t}}}" for s in tags for t in tags[:40] if s != t]
    return "directions:\n" + "\n".join(rows[:n]) + "\n"


REFUSED = {
    # name: (profile text, words in the one line)
    "yaml-bomb": (_bomb(), "anchors and aliases"),
    "one-alias": ("v: &v alloy\ndirections: [{source: en-US, target: es-ES, voice: *v}]\n", "aliases"),
    "deep-flow": ("name: x\nstyle: " + "[" * 5000 + "]" * 5000 + "\n" + ONE_WAY, "nest"),
    "deep-block": (
        "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "x: 1\n" + ONE_WAY,
        "nested more than",
    ),
    "long-integer": ("playback: {prebuffer_ms: " + "9" * 5000 + "}\n" + ONE_WAY, "number longer"),
    "20k-unknown-keys": (ONE_WAY + "".join(f"k{i}: 1\n" for i in range(20000)), "and 19996 more problems"),
    "6000-directions": (_directions(6000), "at most 500"),
    "newline-in-tag": ('directions: [{source: "en-US\\n", target: es-ES}]\n', "not a BCP-47 language tag"),
    "template-unknown": (
        'directions: [{source: en-US, target: es-ES, subtitles: ["out/{n}.srt"]}]\n',
        "unknown placeholder '{n}'",
    ),
    "template-empty": (
        'directions: [{source: en-US, target: es-ES, audio_out: "out/{}.wav"}]\n',
        "unknown placeholder '{}'",
    ),
    "template-unmatched": (
        'directions: [{source: en-US, target: es-ES, subtitles: ["out/{target.srt"]}]\n',
        "bad path template",
    ),
    "too-large": ("style: '" + "x" * (5 * 1024 * 1024) + "'\n" + ONE_WAY, "larger than 4 MiB"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_hostile_profile_is_refused_in_one_line_within_bounds(name: str, tmp_path: Path) -> None:
    text, words = REFUSED[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err, took_s = check(path)
    assert code == 2, err[-500:]
    assert took_s < TIME_LIMIT_S
    lines = err.strip().splitlines()
    assert len(lines) == 1, err[-2000:]
    assert lines[0].startswith(f"translator: error: {path}")
    assert words in lines[0]
    assert "Traceback" not in err and "internal error" not in err
    assert len(lines[0]) < 600  # three problems named and a count, not a list of 20,000


def test_large_valid_glossary_validates_within_bounds(tmp_path: Path) -> None:
    entries = "".join(f"  - {{term: term{i}, translation: término{i}}}\n" for i in range(20000))
    path = tmp_path / "glossary.yaml"
    path.write_text(ONE_WAY + "glossary:\n" + entries, encoding="utf-8")
    code, out, err, took_s = check(path)
    assert code == 0, err[-500:]
    assert took_s < TIME_LIMIT_S
    assert "term19999" in out


def test_500_directions_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(_directions(500), encoding="utf-8")
    code, _, err, took_s = check(path)
    assert code == 0, err[-500:]
    assert took_s < TIME_LIMIT_S
