"""Caption events for the audience (pure): internal events in, JSON-ready caption messages out.

A *language* is a target language of the run, or ``"original"`` (the source text).
Partial messages carry the whole unstable text of the utterance being formed and may be
replaced; final messages are numbered (``seq``) and only ever appended, so a client that
reconnects with the last number it saw gets exactly the finals it missed.

For ``"original"`` each source language is read from one direction only (the first
one with that source), so a one-to-many run does not show every source line N times.
The finals are kept for the whole run: they *are* the captions files, like the lines
of a subtitle file (a few hundred bytes per line).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from translator.events import (
    SourceFinal,
    TranslationFinal,
    TranslationPartial,
    TranslatorEvent,
)
from translator.subtitles.core import target_of
from translator.subtitles.options import SubtitleOptions
from translator.subtitles.profanity import filter_profanity
from translator.subtitles.textunits import normalize

ORIGINAL = "original"


@dataclass(frozen=True, slots=True)
class Caption:
    """One caption message. ``seq`` numbers finals (1, 2, ...); partials carry 0."""

    lang: str
    kind: Literal["partial", "final"]
    utterance: str
    text: str
    seq: int = 0
    start_ms: int | None = None
    end_ms: int | None = None

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "lang": self.lang,
            "kind": self.kind,
            "utterance": self.utterance,
            "text": self.text,
        }
        if self.kind == "final":
            data |= {"seq": self.seq, "start_ms": self.start_ms, "end_ms": self.end_ms}
        return data


def languages_of(directions: list[tuple[str, str]]) -> list[str]:
    """The languages a listener can pick: each target once, in profile order, then original."""
    return [*dict.fromkeys(target for _, target in directions), ORIGINAL]


def original_directions(directions: list[tuple[str, str]]) -> set[str]:
    """The direction keys whose source lines stand for the original (one per source language)."""
    first: dict[str, str] = {}
    for source, target in directions:
        first.setdefault(source, f"{source}>{target}")
    return set(first.values())


class CaptionBook:
    """Turns events into caption messages and keeps the finals (append-only)."""

    def __init__(self, directions: list[tuple[str, str]], options: SubtitleOptions) -> None:
        self.languages = languages_of(directions)
        self._original = original_directions(directions)
        self._profanity = options.profanity
        self.finals: list[Caption] = []

    def feed(self, event: TranslatorEvent) -> Caption | None:
        match event:
            case TranslationPartial():
                return self._partial(target_of(event.direction), event.utterance, event.text)
            case TranslationFinal():
                return self._final(event.target_language, event)
            case SourceFinal() if event.direction in self._original:
                return self._final(ORIGINAL, event)
            case _:
                return None

    def since(self, seq: int) -> list[Caption]:
        """The finals after number ``seq`` (all of them for 0)."""
        return self.finals[max(0, seq) :]

    def _clean(self, text: str) -> str:
        return normalize(filter_profanity(text, self._profanity))

    def _partial(self, lang: str, utterance: str, text: str) -> Caption | None:
        clean = self._clean(text)
        return Caption(lang, "partial", utterance, clean) if clean.strip() else None

    def _final(self, lang: str, event: SourceFinal | TranslationFinal) -> Caption | None:
        clean = self._clean(event.text)
        if not clean.strip():
            return None
        caption = Caption(
            lang, "final", event.utterance, clean, len(self.finals) + 1, event.start_ms, event.end_ms
        )
        self.finals.append(caption)
        return caption
