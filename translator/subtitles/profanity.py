"""Profanity filtering (pure), like the Speech SDK's raw / masked / removed options.

A small built-in list of English and Spanish words is matched as whole words, ignoring
case. Both lists apply to every language, because speakers mix languages and a
translation may keep a word from its source. ``mask`` keeps the first letter and
replaces the rest with asterisks (``fuck`` → ``f***``); ``remove`` drops the word.
"""

from __future__ import annotations

import re

from translator.subtitles.options import Profanity

_ENGLISH = """
fuck fucks fucked fucker fuckers fucking fuckin motherfucker motherfuckers motherfucking
shit shits shitty shitting bullshit bitch bitches bitching asshole assholes arsehole
bastard bastards cunt cunts dick dickhead dickheads piss pissed cock cocks wanker wankers
twat twats slut sluts whore whores
"""
_SPANISH = """
mierda mierdas puta putas puto putos putada joder jodido jodida jodidos jodidas coño
cabrón cabrona cabrones cabronas gilipollas hostia hostias pendejo pendeja pendejos
pendejas chingar chingada chingado verga polla pollas carajo maricón zorra zorras
hijoputa hijaputa culero culera
"""
WORDS = frozenset((_ENGLISH + _SPANISH).split())

_PATTERN = re.compile(
    r"(?<!\w)(" + "|".join(sorted((re.escape(w) for w in WORDS), key=len, reverse=True)) + r")(?!\w)",
    re.IGNORECASE,
)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?…])")
_SPACES = re.compile(r"\s{2,}")
_ORPHAN_CLAUSE_MARK = re.compile(r"[,;:]+(\s*[.!?…])")
_LEADING_MARKS = re.compile(r"^[\s,;:.!?…]+")
_EMPTY_PAIR = re.compile(r"¡\s*!|¿\s*\?|\(\s*\)")


def _mask(match: re.Match[str]) -> str:
    word = match.group(0)
    return word[0] + "*" * (len(word) - 1)


def filter_profanity(text: str, mode: Profanity) -> str:
    """``text`` with listed words kept, masked or removed according to ``mode``."""
    if mode == "raw":
        return text
    if mode == "mask":
        return _PATTERN.sub(_mask, text)
    removed = _PATTERN.sub("", text)
    if removed == text:
        return text
    removed = _SPACE_BEFORE_PUNCT.sub(r"\1", removed)
    removed = _ORPHAN_CLAUSE_MARK.sub(r"\1", _EMPTY_PAIR.sub("", removed))
    removed = _LEADING_MARKS.sub("", removed)
    return _SPACES.sub(" ", removed).strip()
