"""Benchmark the subtitle writers; prints one JSON object.

- cost of one finished cue on disk: ``os.write`` only (survives SIGKILL) vs ``os.write`` + ``fsync``
  (also survives a power cut), in microseconds (median and 99th percentile);
- layout + timing throughput of the pure core on a long two-direction run.

Usage: python scripts/bench_subtitles.py [--cues 400] [--dir /path/on/target/disk]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from translator.events import InputProgress, SpeechStarted, TranslationFinal, TranslatorEvent
from translator.subtitles import CueAssembler, SubtitleOptions
from translator.subtitles.core import Cue
from translator.subtitles.files import AppendOnlyFile
from translator.subtitles.formats import srt_block
from translator.subtitles.layout import split_text

TEXT = (
    "Tengo que tomar el tren de las diez a Madrid y no tengo ni idea de qué andén sale. "
    "¿Me puede ayudar, por favor?"
)


def _write_cost_us(directory: Path, cues: int, fsync: bool) -> dict[str, float]:
    path = directory / f"bench-{'fsync' if fsync else 'write'}.srt"
    out = AppendOnlyFile(str(path), fsync=fsync)
    cue = Cue(0, 1000, ("Tengo que tomar el tren", "de las diez a Madrid"), "en>es", "u", "translation")
    samples = []
    for number in range(1, cues + 1):
        block = srt_block(number, cue)
        began = time.perf_counter()
        out.write(block)
        samples.append((time.perf_counter() - began) * 1e6)
    out.close()
    samples.sort()
    return {
        "median_us": round(statistics.median(samples), 1),
        "p99_us": round(samples[int(len(samples) * 0.99) - 1], 1),
    }


def _run(utterances: int) -> list[TranslatorEvent]:
    events: list[TranslatorEvent] = []
    for i in range(utterances):
        start = i * 6000
        for direction in ("en-US>es-ES", "es-ES>en-US"):
            src, _, tgt = direction.partition(">")
            events.append(SpeechStarted(direction, f"{direction}{i}", start))
            utterance = f"{direction}{i}"
            events.append(TranslationFinal(direction, utterance, src, tgt, start, start + 5000, TEXT, TEXT))
        events.extend(InputProgress(start + t) for t in range(0, 6000, 250))
    return events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cues", type=int, default=400)
    parser.add_argument("--dir", type=Path, default=None, help="directory on the disk to measure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        write_only = _write_cost_us(Path(tmp), args.cues, fsync=False)
        with_fsync = _write_cost_us(Path(tmp), args.cues, fsync=True)

    began = time.perf_counter()
    rounds = 200
    for _ in range(rounds):
        split_text(TEXT, 37, 2)
    layout_us = (time.perf_counter() - began) / rounds * 1e6

    events = _run(300)
    assembler = CueAssembler(SubtitleOptions(bilingual="source-first"))
    began = time.perf_counter()
    cues = sum(len(assembler.feed(e)) for e in events) + len(assembler.finish())
    elapsed = time.perf_counter() - began
    print(
        json.dumps(
            {
                "cue_write_only": write_only,
                "cue_write_fsync": with_fsync,
                "layout_us_per_utterance": round(layout_us, 1),
                "assembler_events": len(events),
                "assembler_cues": cues,
                "assembler_events_per_s": round(len(events) / elapsed),
                "assembler_us_per_cue": round(elapsed / cues * 1e6, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
