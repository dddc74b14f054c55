"""Subtitle options, the subtitle error, and per-language layout defaults.

Defaults follow the Azure Speech captioning sample and common broadcast guidelines:
37 columns per line (30 for Chinese and Japanese, measured in display columns, so
15 full-width characters), 2 lines per cue, 1 s minimum display time and a reading
speed ceiling of 17 characters per second (9 for Chinese and Japanese).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from translator.errors import TranslatorError

Bilingual = Literal["off", "source-first", "translation-first"]
TrackChoice = Literal["translation", "source", "both"]
Profanity = Literal["raw", "mask", "remove"]

DEFAULT_MAX_CHARS = 37
CJK_MAX_CHARS = 30
DEFAULT_MAX_CPS = 17.0
CJK_MAX_CPS = 9.0
_CJK_LANGUAGES = frozenset({"zh", "ja", "yue", "wuu", "lzh"})

_BILINGUAL_VALUES: tuple[str, ...] = ("off", "source-first", "translation-first")
_TRACK_VALUES: tuple[str, ...] = ("translation", "source", "both")
_PROFANITY_VALUES: tuple[str, ...] = ("raw", "mask", "remove")


class SubtitleError(TranslatorError):
    """A subtitle file cannot be opened or written, or an option is out of range."""

    exit_status = 2


def primary_language(language: str) -> str:
    """``"zh-Hans-CN"`` → ``"zh"``; the lower-cased primary subtag."""
    return language.replace("_", "-").split("-", 1)[0].strip().lower()


def is_cjk_language(language: str) -> bool:
    """True for languages written without spaces between words (break between characters)."""
    return primary_language(language) in _CJK_LANGUAGES


@dataclass(frozen=True)
class SubtitleOptions:
    """How subtitle lines are laid out, timed and filtered (see ``docs/subtitles.md``)."""

    max_chars: int | None = None
    """Display columns per line; None = by language (37, or 30 for zh/ja)."""
    max_lines: int = 2
    """Lines per cue (per language in a bilingual cue)."""
    min_duration_ms: int = 1000
    max_cps: float | None = None
    """Reading-speed ceiling in characters per second; None = by language (17, or 9 for zh/ja)."""
    bilingual: Bilingual = "off"
    track: TrackChoice = "translation"
    profanity: Profanity = "raw"

    def __post_init__(self) -> None:
        if self.max_chars is not None and not 8 <= self.max_chars <= 200:
            raise SubtitleError(f"subtitle max_chars must be between 8 and 200, got {self.max_chars}")
        if not 1 <= self.max_lines <= 10:
            raise SubtitleError(f"subtitle max_lines must be between 1 and 10, got {self.max_lines}")
        if not 0 <= self.min_duration_ms <= 20_000:
            raise SubtitleError(
                f"subtitle min_duration_ms must be between 0 and 20000, got {self.min_duration_ms}"
            )
        if self.max_cps is not None and not 1.0 <= self.max_cps <= 100.0:
            raise SubtitleError(f"subtitle max_cps must be between 1 and 100, got {self.max_cps}")
        _check_choice("bilingual", self.bilingual, _BILINGUAL_VALUES)
        _check_choice("track", self.track, _TRACK_VALUES)
        _check_choice("profanity", self.profanity, _PROFANITY_VALUES)

    def max_chars_for(self, language: str) -> int:
        if self.max_chars is not None:
            return self.max_chars
        return CJK_MAX_CHARS if is_cjk_language(language) else DEFAULT_MAX_CHARS

    def max_cps_for(self, language: str) -> float:
        if self.max_cps is not None:
            return self.max_cps
        return CJK_MAX_CPS if is_cjk_language(language) else DEFAULT_MAX_CPS

    @property
    def wants_source(self) -> bool:
        """Source lines go into files (as their own cues or inside bilingual cues)."""
        return self.bilingual != "off" or self.track in ("source", "both")

    @property
    def wants_translation(self) -> bool:
        return self.bilingual != "off" or self.track in ("translation", "both")


def _check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise SubtitleError(f"subtitle {name} must be one of {', '.join(allowed)}; got {value!r}")
