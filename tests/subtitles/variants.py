"""The option sets the golden files cover, and a helper to run events through a sink."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.subtitles.scenario import cjk_run, two_way_run
from translator.events import TranslatorEvent
from translator.subtitles import Cue, CueAssembler, SubtitleOptions, open_subtitle_sink

GOLDEN = Path(__file__).parent / "golden"
FORMATS = ("srt", "vtt", "jsonl")

# name → (options, target language or None for all directions, event script)
VARIANTS: dict[str, tuple[SubtitleOptions, str | None, Callable[[], list[TranslatorEvent]]]] = {
    "translation": (SubtitleOptions(), "es-ES", two_way_run),
    "source": (SubtitleOptions(track="source"), "es-ES", two_way_run),
    "both": (SubtitleOptions(track="both"), "es-ES", two_way_run),
    "bilingual-source-first": (SubtitleOptions(bilingual="source-first"), "es-ES", two_way_run),
    "bilingual-translation-first": (SubtitleOptions(bilingual="translation-first"), "es-ES", two_way_run),
    "profanity-mask": (SubtitleOptions(profanity="mask", track="both"), "es-ES", two_way_run),
    "profanity-remove": (SubtitleOptions(profanity="remove", track="both"), "es-ES", two_way_run),
    "all-directions": (SubtitleOptions(), None, two_way_run),
    "narrow-slow": (
        SubtitleOptions(max_chars=20, max_lines=1, min_duration_ms=1500, max_cps=12.0),
        "es",
        two_way_run,
    ),
    "chinese": (SubtitleOptions(), "zh-CN", cjk_run),
    "japanese-bilingual": (SubtitleOptions(bilingual="translation-first"), "ja-JP", cjk_run),
}


def write_variant(name: str, fmt: str, directory: Path) -> Path:
    options, target, script = VARIANTS[name]
    path = directory / f"{name}.{fmt}"
    sink = open_subtitle_sink(str(path), options, target_language=target)
    for event in script():
        sink.handle(event)
    sink.close()
    return path


def expected_cues(name: str) -> list[Cue]:
    options, target, script = VARIANTS[name]
    assembler = CueAssembler(options, target_language=target)
    cues: list[Cue] = []
    for event in script():
        cues.extend(assembler.feed(event))
    return cues + assembler.finish()
