"""Text → unbreakable units with display widths and break qualities (pure).

A *unit* is the smallest piece a line or cue may hold: a word in spaced scripts, a
single character in Chinese and Japanese (plus any punctuation glued to it), or a run
of Latin letters and digits inside CJK text. Punctuation never stands alone: closing
marks (``。`` ``,`` ``?`` ``」`` and Japanese small kana) join the unit before them,
opening marks (``¿`` ``「`` ``(``) join the unit after them, so no line starts with a
lone punctuation mark and nothing breaks before closing punctuation.

Widths are display columns (``wcwidth``): CJK characters and most emoji count 2.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

import wcwidth

BreakKind = Literal["sentence", "clause", "word"]

_SENTENCE_END = frozenset(".!?…。！？‼⁇⁈⁉")
_CLAUSE_END = frozenset(",;:、，；：—–")
_TRAILING_CLOSERS = "\"'”’»)]}」』）】〕〉》"
_NO_LINE_START = frozenset("ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶーヽヾゝゞ々〻")
_OPENING_EXTRA = frozenset("¿¡")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Unit:
    text: str
    sep: str
    """What joins this unit to the one before it on the same line: ``" "`` or ``""``."""
    width: int
    """Display columns of ``text``."""
    brk: BreakKind
    """How good a break *after* this unit is."""


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal or screen; emoji and CJK count 2."""
    width = wcwidth.wcswidth(text)
    if width >= 0:
        return int(width)
    return sum(max(0, int(wcwidth.wcwidth(ch))) for ch in text)


def normalize(text: str) -> str:
    """Drop control characters and collapse runs of whitespace to one space."""
    cleaned = "".join(
        ch if unicodedata.category(ch)[0] != "C" or ch in "\u200d\u200c" else " " for ch in text
    )
    return _WHITESPACE.sub(" ", cleaned).strip()


def is_breakable_char(ch: str) -> bool:
    """Han, kana: scripts written without spaces, where a line may break between characters."""
    code = ord(ch)
    return (
        0x3040 <= code <= 0x30FF  # hiragana, katakana
        or 0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0xFF66 <= code <= 0xFF9F  # half-width katakana
        or 0x20000 <= code <= 0x3FFFF  # CJK extensions B and later
        or 0x31F0 <= code <= 0x31FF  # katakana phonetic extensions
    )


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch)[0] == "P" or ch in _NO_LINE_START


def _is_opening(ch: str) -> bool:
    return unicodedata.category(ch) in ("Ps", "Pi") or ch in _OPENING_EXTRA


def _break_after(text: str) -> BreakKind:
    core = text.rstrip(_TRAILING_CLOSERS)
    if not core:
        return "word"
    last = core[-1]
    if last in _SENTENCE_END:
        return "sentence"
    if last in _CLAUSE_END:
        return "clause"
    return "word"


def _split_token(token: str) -> list[str]:
    """Split one whitespace-free token into CJK characters and other runs."""
    if not any(is_breakable_char(ch) for ch in token):
        return [token]
    pieces: list[str] = []
    run = ""
    for ch in token:
        if is_breakable_char(ch) or _is_punct(ch):
            if run:
                pieces.append(run)
                run = ""
            pieces.append(ch)
        else:
            run += ch
    if run:
        pieces.append(run)
    return pieces


def _raw_pieces(text: str) -> list[tuple[str, str]]:
    """(text, separator-before) pairs before punctuation is glued on."""
    pieces: list[tuple[str, str]] = []
    for index, token in enumerate(normalize(text).split(" ")):
        if not token:
            continue
        for sub_index, piece in enumerate(_split_token(token)):
            sep = " " if index > 0 and sub_index == 0 else ""
            pieces.append((piece, sep))
    return pieces


def to_units(text: str) -> list[Unit]:
    """Split ``text`` into units; see the module docstring for the gluing rules."""
    glued: list[tuple[str, str]] = []  # (text, separator before it)
    carry: tuple[str, str] | None = None  # opening punctuation waiting for the next piece
    for raw, raw_sep in _raw_pieces(text):
        piece, sep = raw, raw_sep
        if carry is not None:
            piece, sep = carry[0] + raw_sep + raw, carry[1]
            carry = None
        only_punct = all(_is_punct(ch) for ch in piece)
        if only_punct and (not glued or all(_is_opening(ch) for ch in piece)):
            carry = (piece, sep)
        elif only_punct:
            last_text, last_sep = glued[-1]
            glued[-1] = (last_text + sep + piece, last_sep)
        else:
            glued.append((piece, sep))
    if carry is not None:
        if glued:
            last_text, last_sep = glued[-1]
            glued[-1] = (last_text + carry[1] + carry[0], last_sep)
        else:
            glued.append(carry)
    return [
        Unit(text=t, sep="" if i == 0 else s, width=display_width(t), brk=_break_after(t))
        for i, (t, s) in enumerate(glued)
    ]
