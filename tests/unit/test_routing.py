"""Routing on a shared input: a failed transcription still finds its direction, and no
decision depends on hash order (``PYTHONHASHSEED``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from tests.e2e.conftest import ROOT
from translator.listen.arbiter import Arbiter
from translator.voicelive.wire.inbound import _main_locale


def _pair(timeout_s: float = 0.05) -> tuple[Arbiter, list[tuple[str, str, bool, str]]]:
    arbiter = Arbiter(timeout_s=timeout_s)
    calls: list[tuple[str, str, bool, str]] = []
    for lang in ("en-US", "es-ES"):
        key = f"{lang}>x"
        arbiter.register(key, lang, lambda u, t, s, key=key: calls.append((key, u, t, s)))
    return arbiter, calls


async def test_a_failed_transcription_takes_its_direction_from_the_other_session() -> None:
    arbiter, calls = _pair()
    arbiter.report("es-ES>x", "u1", "", failed=True)
    arbiter.report("en-US>x", "u1", "Where is the train station, please?")
    assert sorted(calls) == [
        ("en-US>x", "u1", True, "Where is the train station, please?"),
        ("es-ES>x", "u1", False, "Where is the train station, please?"),
    ]


async def test_the_failed_session_itself_translates_when_its_language_was_spoken() -> None:
    arbiter, calls = _pair()
    arbiter.report("es-ES>x", "u1", "", failed=True)
    arbiter.report("en-US>x", "u1", "Gracias, ¿dónde está la estación de tren?")
    assert ("es-ES>x", "u1", True, "Gracias, ¿dónde está la estación de tren?") in calls
    assert ("en-US>x", "u1", False, "Gracias, ¿dónde está la estación de tren?") in calls


async def test_no_transcript_anywhere_follows_the_stated_rule() -> None:
    """The language spoken last, else the first source language in profile order."""
    arbiter, calls = _pair()
    arbiter.report("en-US>x", "u1", "", failed=True)
    arbiter.report("es-ES>x", "u1", "", failed=True)
    assert sorted(c[:3] for c in calls) == [("en-US>x", "u1", True), ("es-ES>x", "u1", False)]
    arbiter.report("es-ES>x", "u2", "Perfecto, nos vemos allí a las tres.")
    arbiter.report("en-US>x", "u2", "Perfecto, nos vemos allí a las tres.")
    calls.clear()
    arbiter.report("en-US>x", "u3", "", failed=True)
    arbiter.report("es-ES>x", "u3", "", failed=True)
    assert sorted(c[:3] for c in calls) == [("en-US>x", "u3", False), ("es-ES>x", "u3", True)]


async def test_silence_is_translated_by_nobody() -> None:
    arbiter, calls = _pair()
    arbiter.report("en-US>x", "u1", "")
    arbiter.report("es-ES>x", "u1", "")
    assert [c[2] for c in calls] == [False, False]


def test_a_tie_between_locales_goes_to_the_one_heard_first() -> None:
    def phrase(locale: str, text: str) -> SimpleNamespace:
        return SimpleNamespace(locale=locale, text=text)

    assert _main_locale([phrase("es-ES", "Hola."), phrase("en-US", "Hi...")]) == "es-ES"
    assert _main_locale([phrase("en-US", "Hi..."), phrase("es-ES", "Hola.")]) == "en-US"
    assert _main_locale([phrase("en-US", "Hi"), phrase("es-ES", "Hola, amigos")]) == "es-ES"
    assert _main_locale([]) is None


_PROBE = """
import json
from types import SimpleNamespace as P
from translator.voicelive.wire.inbound import _main_locale
langs = ["en-US", "es-ES", "fr-FR", "de-DE", "zh-CN", "ja-JP"]
out = []
for i in range(200):
    a, b = langs[i % 6], langs[(i * 5 + 1) % 6]
    out.append(_main_locale([P(locale=a, text="x" * (i % 3 + 1)), P(locale=b, text="y" * (i % 3 + 1))]))
print(json.dumps(out))
"""


@pytest.mark.parametrize("seeds", [("0", "1", "12345")])
def test_routing_does_not_change_with_the_hash_seed(seeds: tuple[str, ...]) -> None:
    results = set()
    for seed in seeds:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env, cwd=ROOT, check=True
        )
        results.add(json.dumps(json.loads(proc.stdout)))
    assert len(results) == 1
