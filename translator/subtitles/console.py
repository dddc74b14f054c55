"""Live subtitles on stdout: the only part of the project (besides ``cli.py``) that prints.

Final lines are printed once and never rewritten::

    [00:12.4 en] Where is the station?
    [00:12.4 en→es] ¿Dónde está la estación?

On a terminal, below the final lines, one status line per direction shows the text
still being recognised or translated (``[~ en→es] ¿Dónde está…``), redrawn in place
with carriage return and clear-line; each status line is cut to the terminal width so
it never wraps. When stdout is not a terminal, or with ``quiet``, only final lines are
printed (and notices are left to the logs when quiet). Each write is flushed.
"""

from __future__ import annotations

import os
import sys
from collections import deque
from typing import TextIO

import structlog

from translator.events import (
    Notice,
    SourceFinal,
    TranslationFinal,
    TranslationPartial,
    TranslatorEvent,
)
from translator.subtitles.formats import console_label, console_line
from translator.subtitles.options import SubtitleOptions
from translator.subtitles.profanity import filter_profanity
from translator.subtitles.textunits import display_width, normalize

log = structlog.get_logger(__name__)

CLEAR_LINE = "\r\x1b[2K"
UP_AND_CLEAR = "\x1b[1A\x1b[2K"
_RECENT_LINES = 64


def fit_tail(text: str, columns: int) -> str:
    """The end of ``text`` that fits in ``columns`` display columns, with ``…`` if cut."""
    if display_width(text) <= columns:
        return text
    kept = ""
    for ch in reversed(text):
        if display_width("…" + ch + kept) > columns:
            break
        kept = ch + kept
    return "…" + kept


def _labels(direction: str) -> tuple[str, str]:
    source, _, target = direction.partition(">")
    return console_label(source, None), console_label(source, target or None)


class ConsoleSink:
    """Final lines (and, on a terminal, live status lines) on a text stream."""

    def __init__(
        self, options: SubtitleOptions, *, quiet: bool = False, stream: TextIO | None = None
    ) -> None:
        self._options = options
        self._stream = stream if stream is not None else sys.stdout
        self._quiet = quiet
        self._live = not quiet and _is_terminal(self._stream)
        self._status: dict[str, tuple[str, str]] = {}
        """direction → (label, partial text) of the line still being recognised or translated."""
        self._drawn = 0
        self._printed: deque[tuple[object, ...]] = deque(maxlen=_RECENT_LINES)
        self._broken = False
        self._closed = False

    @property
    def live(self) -> bool:
        return self._live

    def handle(self, event: TranslatorEvent) -> None:
        if self._closed or self._broken:
            return
        match event:
            case TranslationPartial() if self._live:
                _, pair_label = _labels(event.direction)
                self._status[event.direction] = (f"[~ {pair_label}]", self._clean(event.text))
                self._emit([])
            case SourceFinal():
                self._status.pop(event.direction, None)
                lines = [] if self._options.bilingual == "translation-first" else self._source_lines(event)
                self._emit(lines)
            case TranslationFinal():
                self._status.pop(event.direction, None)
                self._emit(self._translation_lines(event))
            # Connection status is for the terminal (the logs have it); a file or pipe gets the
            # final lines and what concerns them (an utterance lost, audio dropped).
            case Notice() if self._live or event.kind != "reconnect":
                self._emit([f"[! {event.direction} {event.kind}] {normalize(event.message)}"])
            case _:
                pass

    def close(self) -> None:
        if self._closed:
            return
        self._status.clear()
        if not self._broken:
            self._emit([])
        self._closed = True

    # -- lines ----------------------------------------------------------------------------

    def _clean(self, text: str) -> str:
        return normalize(filter_profanity(text, self._options.profanity))

    def _source_lines(self, event: SourceFinal | TranslationFinal) -> list[str]:
        text = self._clean(event.text if isinstance(event, SourceFinal) else event.source_text)
        same_line = (console_label(event.source_language, None), event.start_ms, text)
        same_utterance = (event.direction, event.utterance)
        if not text or same_line in self._printed or same_utterance in self._printed:
            return []
        self._printed.extend([same_line, same_utterance])
        return [console_line(event.start_ms, same_line[0], text)]

    def _translation_lines(self, event: TranslationFinal) -> list[str]:
        text = self._clean(event.text)
        label = console_label(event.source_language, event.target_language)
        translation = [console_line(event.start_ms, label, text)] if text else []
        if self._options.track == "source" and self._options.bilingual == "off":
            return self._source_lines(event)
        if self._options.bilingual == "translation-first":
            return translation + self._source_lines(event)
        return self._source_lines(event) + translation

    # -- drawing --------------------------------------------------------------------------

    def _emit(self, finals: list[str]) -> None:
        parts: list[str] = []
        if self._live and self._drawn:
            parts.append(CLEAR_LINE + UP_AND_CLEAR * (self._drawn - 1))
            self._drawn = 0
        parts.extend(line + "\n" for line in finals)
        if self._live and self._status:
            columns = max(10, _columns(self._stream) - 1)
            status = [
                label + " " + fit_tail(text, max(1, columns - display_width(label) - 1))
                for label, text in self._status.values()
            ]
            parts.append("\n".join(status))
            self._drawn = len(status)
        if not parts:
            return
        try:
            self._stream.write("".join(parts))
            self._stream.flush()
        except (OSError, ValueError) as e:
            self._broken = True
            log.warning("subtitle_stdout_closed", error=str(e))


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 80
