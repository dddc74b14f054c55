"""``/captions/{lang}.vtt`` and ``.srt``: the subtitles so far, one track per language (pure).

The same cue layout and timing as the subtitle files (``subtitles.core.CueAssembler``
with the run's subtitle options), one assembler per language; cues are kept as they
finish and rendered on request with the same blocks as the files. ``finish()`` at the
end of the run releases the last cues, so a download after the talk is complete.
"""

from __future__ import annotations

from dataclasses import replace

from translator.events import TranslatorEvent
from translator.serve.captions import ORIGINAL, original_directions
from translator.subtitles.core import Cue, CueAssembler
from translator.subtitles.formats import WEBVTT_HEADER, srt_block, vtt_block
from translator.subtitles.options import SubtitleOptions


class CaptionFiles:
    def __init__(self, directions: list[tuple[str, str]], options: SubtitleOptions) -> None:
        targets = list(dict.fromkeys(target for _, target in directions))
        self._assemblers = {
            t: CueAssembler(replace(options, track="translation"), target_language=t) for t in targets
        }
        self._original_keys = original_directions(directions)
        self._original = CueAssembler(replace(options, track="source", bilingual="off"))
        self._cues: dict[str, list[Cue]] = {lang: [] for lang in [*targets, ORIGINAL]}

    @property
    def languages(self) -> list[str]:
        return list(self._cues)

    def feed(self, event: TranslatorEvent) -> None:
        for lang, assembler in self._assemblers.items():
            self._cues[lang] += assembler.feed(event)
        direction = getattr(event, "direction", None)
        if direction is None or direction in self._original_keys:
            self._cues[ORIGINAL] += self._original.feed(event)

    def finish(self) -> None:
        for lang, assembler in self._assemblers.items():
            self._cues[lang] += assembler.finish()
        self._cues[ORIGINAL] += self._original.finish()

    def render(self, lang: str, fmt: str) -> str | None:
        """The file text, or None for a language the run does not have."""
        cues = self._cues.get(lang)
        if cues is None:
            return None
        if fmt == "vtt":
            return WEBVTT_HEADER + "".join(vtt_block(c) for c in cues)
        return "".join(srt_block(i, c) for i, c in enumerate(cues, start=1))
