"""The I/O side of staged outputs: publish on the first result, settle at the end, and
report every failed write (never swallowed: one line, exit 1, the rest still closed)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from types import TracebackType
from typing import Any

import structlog

from translator.errors import OutputError
from translator.events import SourceFinal, TranslationAudio, TranslationFinal, TranslatorEvent
from translator.outputs import StagedOutputs

log = structlog.get_logger(__name__)

ExitCallback = Callable[[type[BaseException] | None, BaseException | None, TracebackType | None], bool]


def on_first_result(publish: Callable[[], None]) -> Callable[[TranslatorEvent], None]:
    """A dispatch handler (put it before the writers) that publishes on the first cue or audio."""
    done = False

    def handle(event: TranslatorEvent) -> None:
        nonlocal done
        if not done and isinstance(event, (SourceFinal, TranslationFinal, TranslationAudio)):
            done = True
            publish()

    return handle


def settle(staged: StagedOutputs, *, later: str | None = None) -> ExitCallback:
    """Exit callback: a run that ends normally publishes what is left; a failed one
    deletes the temporary files nothing was written to (the old files stay). ``later``
    (the stats file) is published by its own writer once the summary is printed."""

    def exit_(
        exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if exc is None:
            try:
                staged.publish_all(except_=[later] if later else [])
            except OSError as e:
                raise OutputError(f"cannot write {e.filename}: {e.strerror or e}") from None
        else:
            staged.discard_unpublished()
        return False

    return exit_


class NamedOutput:
    """A file writer guarded so that a failed write is never lost: the first failure is
    logged at once, the writer is left alone from then on (the file keeps what it has),
    and ``close`` raises it as an ``OutputError`` naming the file the user asked for,
    not its temporary name."""

    def __init__(self, sink: Any, path: str, temp: str) -> None:
        self._sink = sink
        self.path = path
        self.temp = temp
        self._failure: str | None = None

    def handle(self, event: TranslatorEvent) -> None:
        if self._failure is None:
            try:
                self._sink.handle(event)
            except Exception as e:  # reported at close, with a non-zero exit
                self._failed(e)

    def push(self, event: TranslationAudio) -> None:
        if self._failure is None:
            try:
                self._sink.push(event)
            except Exception as e:
                self._failed(e)

    def close(self) -> None:
        try:
            self._sink.close()
        except Exception as e:
            if self._failure is None:
                self._failure = self._message(e)
        if self._failure is not None:
            raise OutputError(self._failure)

    def _failed(self, error: Exception) -> None:
        self._failure = self._message(error)
        log.error("output_write_failed", path=self.path, error=self._failure)

    def _message(self, error: Exception) -> str:
        text = str(error).splitlines()[0] if str(error) else error.__class__.__name__
        return text.replace(self.temp, self.path)


def close_all(closers: list[Any]) -> None:
    """Close every writer; if any failed (its last cue or header lost), say which: exit 1."""
    failures: list[str] = []
    for c in closers:
        try:
            c.close()
        except Exception as e:  # every writer still gets its close
            path = getattr(c, "path", None)
            message = str(e).splitlines()[0] if str(e) else e.__class__.__name__
            failures.append(f"{path}: {message}" if path else message)
            log.error("output_close_failed", path=path, error=message)
    if failures:
        more = f" (and {len(failures) - 1} more: {'; '.join(failures[1:])})" if len(failures) > 1 else ""
        raise OutputError(f"the end of an output was not written: {failures[0]}{more}")


def write_output_text(staged: StagedOutputs, path: str, text: str) -> None:
    target = staged.path_for(path)
    try:
        with open(target, "w", encoding="utf-8") as f:
            f.write(text)
        staged.publish(path)
    except OSError as e:
        with contextlib.suppress(OSError):
            staged.discard_unpublished()
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
