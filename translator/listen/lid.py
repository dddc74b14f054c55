"""A local language identifier, restricted to the languages a profile pairs.

Used when the transcription alone does not say which language was spoken (a
paired profile with one shared input). The writing system decides first (Han, kana,
Hangul, Cyrillic, Arabic...): it settles a pair such as en+zh at no cost. Between
Latin-script languages, lingua (``lingua-language-detector``) restricted to the
candidates decides, and abstains below a confidence of 0.75: on real sentences it
is right on 94 % of en+es (against 92 % for the word lists below) and names a wrong
language on none, where short pieces (1 to 3 words, what cuts produce) go from 62 %
to 82 % right (``docs/lid.md``, ``scripts/bench_lid.py``). Languages lingua lacks
fall back on frequent function words and letters that only some languages use.
A single word ("OK", a name) is left to the word lists, which abstain unless it is
telling. An abstention (``None``) leaves the choice to the caller's stated rule.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_LINGUA_GATE = 0.75
"""lingua abstains below this confidence (its values over the candidates sum to 1)."""

_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the a an and or of to in on at is are was were be been it this that these those you i we he she "
        "they my your our their his her with for from by not no yes do does did have has had will would "
        "can could should what where when why how who which there here please thank thanks good morning "
        "hello see two three four five".split()
    ),
    "es": frozenset(
        "el la los las un una unos unas y o de del al en es son era fue ser estar está están esta este "
        "estos estas que qué por para con sin no sí yo tú usted nosotros ellos mi tu su nuestro muy "
        "dónde donde cuándo cómo como por qué quién hay aquí allí gracias buenos buenas días hola nos "
        "vemos tres dos perfecto a lo le se me te".split()
    ),
    "fr": frozenset(
        "le la les un une des et ou de du au aux en est sont était être que qui quoi pour avec sans ne "
        "pas oui non je tu il elle nous vous ils mon ton son notre votre leur très où quand comment "
        "pourquoi merci bonjour ce cette ces dans sur".split()
    ),
    "de": frozenset(
        "der die das ein eine einen und oder von zu im in am ist sind war waren sein dass wer was wo "
        "wann wie warum für mit ohne nicht ja nein ich du er sie wir ihr mein dein sein unser sehr "
        "danke bitte guten morgen hallo auf den dem des".split()
    ),
    "it": frozenset(
        "il lo la i gli le un una e o di del della in è sono era essere che chi cosa per con senza non "
        "sì io tu lui lei noi voi loro mio tuo suo nostro molto dove quando come perché grazie buongiorno "
        "ciao questo questa".split()
    ),
    "pt": frozenset(
        "o a os as um uma e ou de do da dos das em no na é são era ser estar está que quem por para com "
        "sem não sim eu tu você nós eles meu seu nosso muito onde quando como obrigado obrigada bom dia "
        "olá isso este esta".split()
    ),
}

_LETTER_HINTS: dict[str, str] = {
    "es": "ñ¿¡áíóú",
    "fr": "çèêàâùœë",
    "de": "äöüß",
    "pt": "ãõçâê",
    "it": "àèìòù",
}

# Spelling that is common in one language and rare in the others, matched on the text
# with a space before and after every word (so " th" is a word start, "ing " an ending).
_SPELLING: dict[str, dict[str, float]] = {
    "en": {
        " th": 1.0,
        "wh": 1.0,
        "sh": 0.8,
        "ck": 1.0,
        "ee": 0.8,
        "oo": 0.8,
        "ea": 0.5,
        "ou": 0.3,
        "w": 0.6,
        "k": 0.4,
        "y ": 0.6,
        "ing ": 1.0,
        "ght": 1.0,
        "'s ": 0.8,
        "ly ": 0.8,
        "ed ": 0.6,
        "er ": 0.3,
        "ss ": 0.4,
        "nt ": 0.3,
        "ak": 0.5,
        "ow": 0.6,
    },
    "es": {
        "ción ": 1.5,
        "ciones ": 1.5,
        "mos ": 1.0,
        "ado ": 0.8,
        "ada ": 0.8,
        "ando ": 1.0,
        "iendo ": 1.0,
        "os ": 0.6,
        "as ": 0.4,
        "ll": 0.3,
        "rr": 0.5,
        "o ": 0.5,
        "a ": 0.3,
        "ue": 0.4,
        "ie": 0.3,
        "ón ": 1.0,
        "ía": 1.0,
        " z": 0.3,
        "z ": 0.5,
        "ej": 0.6,
        "ñ": 1.0,
    },
    "fr": {
        "eau": 1.0,
        "ou": 0.5,
        "oi": 0.6,
        "ai": 0.4,
        "ent ": 0.6,
        "é": 0.6,
        "è": 1.0,
        "x ": 0.6,
        "qu": 0.3,
    },
    "de": {
        "sch": 1.2,
        "ch": 0.4,
        "ei": 0.6,
        "ie": 0.4,
        "ung ": 1.0,
        "en ": 0.4,
        "z": 0.4,
        "w": 0.3,
        "ß": 1.0,
    },
    "it": {"zione ": 1.5, "gli": 1.0, "gn": 0.6, "cch": 1.0, "i ": 0.4, "o ": 0.4, "e ": 0.3, "tt": 0.5},
    "pt": {"ção ": 1.5, "ções ": 1.5, "nh": 1.0, "lh": 1.0, "ão": 1.2, "em ": 0.4, "os ": 0.4},
}

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Guess:
    language: str | None
    """The chosen candidate tag (as given), or None when the text does not say."""
    confidence: float
    """0 (no idea) to 1 (certain): the winner's share of the evidence."""


def _primary(tag: str) -> str:
    return tag.split("-")[0].lower()


def _script_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        if "HIRAGANA" in name or "KATAKANA" in name:
            script = "ja"
        elif "CJK" in name:
            script = "han"
        elif "HANGUL" in name:
            script = "ko"
        elif "CYRILLIC" in name:
            script = "cyrillic"
        elif "ARABIC" in name:
            script = "ar"
        elif "LATIN" in name:
            script = "latin"
        else:
            script = "other"
        counts[script] = counts.get(script, 0) + 1
    return counts


_SCRIPT_OF = {"zh": "han", "ja": "ja", "ko": "ko", "ru": "cyrillic", "uk": "cyrillic", "ar": "ar"}


def _latin(tags: Iterable[str]) -> bool:
    return all(_SCRIPT_OF.get(_primary(t), "latin") == "latin" for t in tags)


@functools.lru_cache(maxsize=8)
def _lingua(languages: tuple[str, ...]) -> Any | None:
    """A lingua detector for these primary languages (None: one of them is unknown to it)."""
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    try:
        langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in languages]
    except (AttributeError, ValueError):
        return None
    return LanguageDetectorBuilder.from_languages(*langs).with_preloaded_language_models().build()


def prepare(candidates: Iterable[str]) -> None:
    """Load what ``identify`` will need for these candidates (at start-up, not mid-run)."""
    cands = list(dict.fromkeys(candidates))
    if len(cands) > 1 and _latin(cands):
        _lingua(tuple(sorted({_primary(t) for t in cands})))


def _identify_latin(text: str, cands: list[str]) -> Guess | None:
    detector = _lingua(tuple(sorted({_primary(t) for t in cands})))
    if detector is None:
        return None
    values = detector.compute_language_confidence_values(text)
    if not values:
        return Guess(None, 0.0)
    top = values[0]
    if top.value < _LINGUA_GATE:
        return Guess(None, float(top.value))
    code = top.language.iso_code_639_1.name.lower()
    tag = next((t for t in cands if _primary(t) == code), None)
    return Guess(tag, float(top.value)) if tag is not None else Guess(None, 0.0)


def identify(text: str, candidates: Iterable[str]) -> Guess:
    """Which of ``candidates`` (BCP-47 tags) is ``text`` written in?"""
    cands = list(dict.fromkeys(candidates))
    if not cands:
        return Guess(None, 0.0)
    if len(cands) == 1:
        return Guess(cands[0], 1.0)
    if _latin(cands) and len(_WORD.findall(text)) > 1:  # one word ("OK", a name) says little
        guess = _identify_latin(text, cands)
        if guess is not None:
            return guess
    scores = dict.fromkeys(cands, 0.0)
    scripts = _script_counts(text)
    for tag in cands:
        lang = _primary(tag)
        script = _SCRIPT_OF.get(lang, "latin")
        n = scripts.get(script, 0)
        if lang == "ja":
            n += scripts.get("han", 0) // 2 if scripts.get("ja", 0) else 0
        scores[tag] += 3.0 * n if script != "latin" else 0.0
    common = 0.0
    if scripts.get("latin", 0):
        words = [w.lower() for w in _WORD.findall(text)]
        lowered = text.lower()
        spaced = " " + " ".join(words) + " "
        for tag in cands:
            lang = _primary(tag)
            if _SCRIPT_OF.get(lang, "latin") != "latin":
                continue
            stop = _STOPWORDS.get(lang, frozenset())
            scores[tag] += 1.5 * sum(1.0 for w in words if w in stop)
            scores[tag] += 1.5 * sum(lowered.count(c) for c in _LETTER_HINTS.get(lang, ""))
            scores[tag] += 0.5 * sum(w * spaced.count(f) for f, w in _SPELLING.get(lang, {}).items())
        # Latin letters are evidence for every Latin-script candidate against the others,
        # but say nothing between two Latin-script languages.
        if any(_SCRIPT_OF.get(_primary(t), "latin") != "latin" for t in cands):
            common = 0.2 * scripts["latin"]
            for tag in cands:
                if _SCRIPT_OF.get(_primary(tag), "latin") == "latin":
                    scores[tag] += common
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    total = sum(max(v, 0.0) for v in scores.values())
    if top <= 0.05 or top - second < 0.5:
        return Guess(None, 0.0 if total == 0 else top / total)
    return Guess(best, top / total)
