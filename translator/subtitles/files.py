"""Subtitle file writers (the thin I/O shell): SRT, WebVTT and JSONL.

Crash safety: every finished cue (or JSONL line) is encoded and handed to the kernel
with one ``os.write`` on an unbuffered descriptor as soon as it is final, so a reader
during the run, or the file left after SIGKILL at any moment, holds every finished cue
and parses. Data in the kernel's page cache survives the death of the process;
``fsync=True`` also makes it survive a power cut, at a cost measured by
``scripts/bench_subtitles.py`` (see ``docs/subtitles.md``).
"""

from __future__ import annotations

import os

import structlog

from translator.events import SourceFinal, TranslationFinal, TranslatorEvent
from translator.subtitles.core import Cue, CueAssembler, same_language, target_of
from translator.subtitles.formats import WEBVTT_HEADER, jsonl_record, srt_block, vtt_block
from translator.subtitles.options import SubtitleError, SubtitleOptions
from translator.subtitles.profanity import filter_profanity

log = structlog.get_logger(__name__)

SUFFIXES = (".srt", ".vtt", ".jsonl")


class AppendOnlyFile:
    """A file written in whole records: one ``os.write`` per record, nothing buffered.

    A record is written whole or not at all: when a write fails part-way (a full disk
    takes what fits and then refuses), the file is cut back to the end of the last whole
    record before the error is raised, so what is left still parses.
    """

    def __init__(self, path: str, *, fsync: bool = False) -> None:
        self.path = path
        self._fsync = fsync
        try:
            self._fd: int | None = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        except OSError as e:
            raise SubtitleError(f"cannot open subtitle file {path}: {e.strerror or e}") from e
        self._whole_bytes = 0  # the file's length after the last record written whole

    def write(self, text: str) -> None:
        if self._fd is None:
            raise SubtitleError(f"subtitle file {self.path} is already closed")
        record = text.encode("utf-8")
        data = memoryview(record)
        try:
            while data:
                written = os.write(self._fd, data)
                data = data[written:]
            if self._fsync:
                os.fsync(self._fd)
        except OSError as e:
            self._roll_back()
            raise SubtitleError(f"cannot write subtitle file {self.path}: {e.strerror or e}") from e
        self._whole_bytes += len(record)

    def _roll_back(self) -> None:
        """Cut a partly written record off (truncating frees blocks, so it works on a full disk)."""
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, self._whole_bytes)
            os.lseek(self._fd, self._whole_bytes, os.SEEK_SET)
        except OSError as e:
            log.error("subtitle_rollback_failed", path=self.path, error=e.strerror or str(e))

    def close(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.close(fd)
        except OSError as e:
            raise SubtitleError(f"cannot close subtitle file {self.path}: {e.strerror or e}") from e


class CueFileSink:
    """SRT or WebVTT: cues laid out and timed by ``CueAssembler``, appended as they finish."""

    def __init__(
        self, path: str, options: SubtitleOptions, *, target_language: str | None, fsync: bool = False
    ) -> None:
        self._webvtt = path.lower().endswith(".vtt")
        self._assembler = CueAssembler(options, target_language=target_language)
        self._file = AppendOnlyFile(path, fsync=fsync)
        self._number = 0
        self._closed = False
        if self._webvtt:
            self._file.write(WEBVTT_HEADER)

    def handle(self, event: TranslatorEvent) -> None:
        if self._closed:
            return
        self._write(self._assembler.feed(event))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._write(self._assembler.finish())
        finally:
            self._file.close()
        log.info("subtitle_file_closed", path=self._file.path, cues=self._number)

    def _write(self, cues: list[Cue]) -> None:
        for cue in cues:
            self._number += 1
            self._file.write(vtt_block(cue) if self._webvtt else srt_block(self._number, cue))


class JsonlSink:
    """One JSON object per final line (not per cue), source and translation alike,
    written the moment the line is final."""

    def __init__(
        self, path: str, options: SubtitleOptions, *, target_language: str | None, fsync: bool = False
    ) -> None:
        self._options = options
        self._target = target_language
        self._file = AppendOnlyFile(path, fsync=fsync)
        self._closed = False
        self._lines = 0

    def handle(self, event: TranslatorEvent) -> None:
        if self._closed or not isinstance(event, (SourceFinal, TranslationFinal)):
            return
        if self._target is not None and not same_language(self._target, target_of(event.direction)):
            return
        # JSONL is the data export: it keeps both the source and the translation lines
        # (told apart by "kind"), whatever cue track the other formats show.
        text = filter_profanity(event.text, self._options.profanity)
        if text.strip():
            self._file.write(jsonl_record(event, text))
            self._lines += 1

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._file.close()
        log.info("subtitle_file_closed", path=self._file.path, lines=self._lines)


def open_file_sink(
    path: str, options: SubtitleOptions, *, target_language: str | None = None, fsync: bool = False
) -> CueFileSink | JsonlSink:
    """The sink for ``path``'s extension; ``SubtitleError`` for others or unwritable paths."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in SUFFIXES:
        shown = suffix or "no extension"
        raise SubtitleError(f"subtitle file {path} has {shown}; use .srt, .vtt or .jsonl (or - for stdout)")
    if os.path.isdir(path):
        raise SubtitleError(f"subtitle path {path} is a directory")
    if suffix == ".jsonl":
        return JsonlSink(path, options, target_language=target_language, fsync=fsync)
    return CueFileSink(path, options, target_language=target_language, fsync=fsync)
