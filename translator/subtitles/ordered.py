"""Final lines in input-time order for ``--fast`` runs into a file or pipe.

In fast mode the directions translate concurrently and far ahead of real time, so
lines arrive out of input order. This sink holds every final line (never dropped: the
whole run is in memory, bounded by the file's length) and hands them to the console
writer sorted by start time (arrival order among equals: a source line stays before
its translation) when the run closes. A run killed with SIGKILL prints none of them;
the subtitle files keep theirs.
"""

from __future__ import annotations

from typing import Any

from translator.events import SourceFinal, TranslationFinal, TranslatorEvent


class InputOrder:
    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._held: list[tuple[int, int, SourceFinal | TranslationFinal]] = []

    def handle(self, event: TranslatorEvent) -> None:
        if isinstance(event, (SourceFinal, TranslationFinal)):
            self._held.append((event.start_ms, len(self._held), event))
        else:
            self._inner.handle(event)

    def close(self) -> None:
        held, self._held = sorted(self._held, key=lambda x: (x[0], x[1])), []
        for _, _, event in held:
            self._inner.handle(event)
        self._inner.close()
