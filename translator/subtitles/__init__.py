"""Live subtitles: SRT, WebVTT and JSONL files and live lines on stdout.

The pure core (``textunits``, ``layout``, ``timing``, ``profanity``, ``core``,
``formats``) turns internal events into laid-out, timed cues; the thin writers
(``files``, ``console``) put them on disk or on the terminal. See ``docs/subtitles.md``.
"""

from __future__ import annotations

from typing import Protocol, TextIO

from translator.events import TranslatorEvent
from translator.subtitles.console import ConsoleSink
from translator.subtitles.core import Cue, CueAssembler
from translator.subtitles.files import open_file_sink
from translator.subtitles.options import SubtitleError, SubtitleOptions
from translator.subtitles.ordered import InputOrder

__all__ = [
    "Cue",
    "CueAssembler",
    "SubtitleError",
    "SubtitleOptions",
    "SubtitleSink",
    "open_stdout_sink",
    "open_subtitle_sink",
]


class SubtitleSink(Protocol):
    def handle(self, event: TranslatorEvent) -> None:
        """Take one event; sync, fast (one small write at most per finished cue)."""

    def close(self) -> None:
        """Write any pending cue and close the file; idempotent."""


def open_stdout_sink(
    options: SubtitleOptions, *, quiet: bool = False, stream: TextIO | None = None, ordered: bool = False
) -> SubtitleSink:
    """Live lines on ``stream`` (default stdout); partial status lines only on a terminal.
    ``ordered`` (``--fast`` into a file or pipe): final lines in input-time order, at the end."""
    sink = ConsoleSink(options, quiet=quiet, stream=stream)
    if ordered and not sink.live:
        return InputOrder(sink)
    return sink


def open_subtitle_sink(
    path: str, options: SubtitleOptions, *, target_language: str | None = None, fsync: bool = False
) -> SubtitleSink:
    """A sink writing ``path`` (``.srt``, ``.vtt`` or ``.jsonl``), or stdout for ``"-"``.

    ``target_language`` None puts every direction in one file; else only that target's
    lines. Raises ``SubtitleError`` (one-line message) for other extensions or paths
    that cannot be written. ``fsync`` also syncs each cue to disk (see the benchmark).
    """
    if path == "-":
        return open_stdout_sink(options)
    return open_file_sink(path, options, target_language=target_language, fsync=fsync)
