"""Language identification, the arbiter's choice per utterance, backoff, redaction."""

from __future__ import annotations

import asyncio
import random

import pytest

from translator.listen.arbiter import Arbiter
from translator.listen.lid import identify
from translator.logs import redact, register_secret
from translator.voicelive.backoff import Backoff


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
        # two-word pieces, as cuts make them, without a listed function word (lingua decides)
        ("Seguimos trabajando", ["en-US", "es-ES"], "es-ES"),
        ("Numero equivocado", ["en-US", "es-ES"], "es-ES"),
        ("Wrong number", ["es-ES", "en-US"], "en-US"),
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
        arbiter.register(lang, lang, lambda u, t, s, lang=lang: calls.append((lang, u, t)))
    arbiter.report("en-US", "u1", "¿Dónde está la estación?")
    assert sorted(calls) == [("en-US", "u1", False), ("es-ES", "u1", True)]
    arbiter.report("es-ES", "u1", "¿Dónde está la estación?")  # late report: same answer, once more for es
    assert calls[-1] == ("es-ES", "u1", True)
    calls.clear()
    arbiter.report("en-US", "u2", "OK")  # inconclusive: waits for the other or the timeout
    assert calls == []
    await asyncio.sleep(0.1)
    assert sum(t for _, _, t in calls) == 1


async def test_arbiter_trusts_the_locale_the_service_detected() -> None:
    arbiter = Arbiter(timeout_s=10)
    calls: list[tuple[str, bool]] = []
    for lang in ("en-US", "es-ES"):
        arbiter.register(lang, lang, lambda u, t, s, lang=lang: calls.append((lang, t)))
    arbiter.report("en-US", "u1", "Hotel Madrid", locale="es-ES")  # the text alone says nothing
    assert sorted(calls) == [("en-US", False), ("es-ES", True)]
    calls.clear()
    arbiter.report("es-ES", "u2", "Hotel Madrid", locale="en")  # primary subtag only
    assert sorted(calls) == [("en-US", True), ("es-ES", False)]


async def test_arbiter_with_one_language_translates_every_non_empty_utterance() -> None:
    arbiter = Arbiter()
    calls: list[bool] = []
    arbiter.register("en-US>es-ES", "en-US", lambda u, t, s: calls.append(t))
    arbiter.report("en-US>es-ES", "u1", "hello")
    arbiter.report("en-US>es-ES", "u2", "   ")
    assert calls == [True, False]


async def test_arbiter_matches_turns_cut_by_each_session_by_time() -> None:
    """Service turns: each session has its own ids and may cut a little differently;
    overlapping turns are one utterance and get one decision."""
    arbiter = Arbiter(timeout_s=10)
    calls: list[tuple[str, str, bool]] = []
    for key, lang in (("en>es", "en-US"), ("es>en", "es-ES")):
        arbiter.register(key, lang, lambda u, t, s, key=key: calls.append((key, u, t)))
    arbiter.report("en>es", "u1", "Where is the station?", span=(0, 2000))  # conclusive
    assert calls == [("en>es", "u1", True)]
    arbiter.report("es>en", "u1", "Where is the station?", span=(40, 1980))
    assert calls[-1] == ("es>en", "u1", False)
    # the Spanish session cut the next sentence in two, neither half conclusive alone
    arbiter.report("es>en", "u2", "OK", span=(3000, 4200))
    arbiter.report("es>en", "u3", "Madrid", span=(4700, 5600))
    assert len(calls) == 2
    # the English session's one turn spans both: one utterance, one decision for all three
    arbiter.report("en>es", "u2", "OK Madrid", span=(3000, 5600), locale="es-ES")
    assert sorted(calls[2:]) == [("en>es", "u2", False), ("es>en", "u2", True), ("es>en", "u3", True)]
    arbiter.report("es>en", "u4", "Madrid", span=(4700, 5600))  # overlaps a decided group
    assert calls[-1] == ("es>en", "u4", True)


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
