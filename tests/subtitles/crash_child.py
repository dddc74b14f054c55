"""A writer process for the SIGKILL test: writes SRT, WebVTT and JSONL without end.

After every event it prints the three file sizes, so the parent knows what had been
written (and must survive) when it kills this process.
"""

from __future__ import annotations

import itertools
import os
import sys
import time

from tests.subtitles.scenario import EN_ES, direction_events, merge
from translator.subtitles import SubtitleOptions, open_subtitle_sink


def main(directory: str) -> None:
    paths = [os.path.join(directory, f"live.{ext}") for ext in ("srt", "vtt", "jsonl")]
    options = SubtitleOptions(track="both")
    sinks = [open_subtitle_sink(path, options, target_language="es-ES") for path in paths]
    for block in itertools.count():
        offset = block * 60_000
        lines = [
            (
                f"b{block}u{i}",
                offset + i * 3000,
                offset + i * 3000 + 2200,
                f"Sentence {i} of block {block}, "
                "which is long enough to be split into more than one cue on screen. Really.",
                f"Frase {i} & <{block}>.",
            )
            for i in range(20)
        ]
        for event in merge(direction_events(EN_ES, lines), until_ms=offset + 60_000)[block > 0 :]:
            if hasattr(event, "now_ms") and event.now_ms < offset:  # type: ignore[union-attr]
                continue
            for sink in sinks:
                sink.handle(event)
            sys.stdout.write(" ".join(str(os.path.getsize(p)) for p in paths) + "\n")
            sys.stdout.flush()
            time.sleep(0.0005)


if __name__ == "__main__":
    main(sys.argv[1])
