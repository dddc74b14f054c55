"""Language identification, the arbiter's choice per utterance, backoff, redaction."""

from __future__ import annotations

import asyncio
import random

import pytest

from translator.arbiter import Arbiter
from translator.backoff import Backoff
from translator.lid import identify
from translator.logs import redact, register_secret


@pytest.mark.parametrize(
    ("text", "pair", "expected"),
    [
        ("Good morning, everyone, and welcome to the meeting.", ["en-US", "es-ES"], "en-US"),
        ("Gracias. ¿Dónde está la estación de tren?", ["en-US", "es-ES"], "es-ES"),
        ("Perfecto, nos vemos allí a las tres.", ["en-US", "es-ES"], "es-ES"),
        ("Where is the train station?", ["es-ES", "en-US"], "en-US"),
        ("你好，火车站在哪里？", ["en-US", "zh-CN"], "zh-CN"),
        ("The meeting starts at nine.", ["en-US", "zh-CN"], "en-US"),
        ("Bonjour, où est la gare ?", ["fr-FR", "en-US"], "fr-FR"),
        ("Guten Morgen, wo ist der Bahnhof?", ["de-DE", "en-US"], "de-DE"),
        # sentences without the usual function words, where spelling has to decide
        ("Gracias, seguiremos informando.", ["en-US", "es-ES"], "es-ES"),
        ("Volvemos en diez minutos.", ["en-US", "es-ES"], "es-ES"),
        ("Excellent, that sounds very promising.", ["en-US", "es-ES"], "en-US"),
        ("Lunch is served at noon.", ["en-US", "es-ES"], "en-US"),
        ("Vamos a abrir dos oficinas nuevas.", ["en-US", "es-ES"], "es-ES"),
    ],
)
def test_identify_within_the_pair(text: str, pair: list[str], expected: str) -> None:
    guess = identify(text, pair)
    assert guess.language == expected
    assert guess.confidence > 0.6


def test_identify_abstains_without_evidence() -> None:
    assert identify("OK", ["en-US", "es-ES"]).language is None
    assert identify("", ["en-US", "es-ES"]).language is None
    assert identify("anything", ["en-US"]).language == "en-US"


async def test_arbiter_gives_each_utterance_to_exactly_one_direction() -> None:
    arbiter = Arbiter(timeout_s=0.05)
    calls: list[tuple[str, str, bool]] = []
    for lang in ("en-US", "es-ES"):
        arbiter.register(lang, lambda u, t, s, lang=lang: calls.append((lang, u, t)))
    arbiter.report("u1", "en-US", "¿Dónde está la estación?")
    assert sorted(calls) == [("en-US", "u1", False), ("es-ES", "u1", True)]
    arbiter.report("u1", "es-ES", "¿Dónde está la estación?")  # late report: same answer, once more for es
    assert calls[-1] == ("es-ES", "u1", True)
    calls.clear()
    arbiter.report("u2", "en-US", "OK")  # inconclusive: waits for the other or the timeout
    assert calls == []
    await asyncio.sleep(0.1)
    assert sum(t for _, _, t in calls) == 1


async def test_arbiter_trusts_the_locale_the_service_detected() -> None:
    arbiter = Arbiter(timeout_s=10)
    calls: list[tuple[str, bool]] = []
    for lang in ("en-US", "es-ES"):
        arbiter.register(lang, lambda u, t, s, lang=lang: calls.append((lang, t)))
    arbiter.report("u1", "en-US", "Hotel Madrid", locale="es-ES")  # the text alone says nothing
    assert sorted(calls) == [("en-US", False), ("es-ES", True)]
    calls.clear()
    arbiter.report("u2", "es-ES", "Hotel Madrid", locale="en")  # primary subtag only
    assert sorted(calls) == [("en-US", True), ("es-ES", False)]


async def test_arbiter_with_one_language_translates_every_non_empty_utterance() -> None:
    arbiter = Arbiter()
    calls: list[bool] = []
    arbiter.register("en-US", lambda u, t, s: calls.append(t))
    arbiter.report("u1", "en-US", "hello")
    arbiter.report("u2", "en-US", "   ")
    assert calls == [True, False]


def test_backoff_grows_jittered_and_capped() -> None:
    b = Backoff(initial_s=0.5, cap_s=4.0, rng=random.Random(3))
    delays = [b.next_delay() for _ in range(8)]
    assert delays[0] <= 0.5 and max(delays) <= 4.0 and delays[-1] >= 2.0
    assert b.next_delay(throttled=True) >= 1.0
    b.reset()
    assert b.next_delay() <= 0.5


def test_redaction_of_registered_and_recognisable_secrets() -> None:
    register_secret("sk-DISTINCTIVE-12345")
    text = (
        'key sk-DISTINCTIVE-12345 Authorization: Bearer eyJhbGciOi.abc.def api-key=XYZ123&x=1 "api_key": "zz"'
    )
    out = redact(text)
    assert "sk-DISTINCTIVE-12345" not in out and "eyJhbGciOi" not in out and "XYZ123" not in out
    assert '"zz"' not in out
