"""A paired file does not wait for a line the other direction will never write."""

from __future__ import annotations

from translator.events import InputProgress, SpeechStarted, TranslationFinal, UtteranceSkipped
from translator.subtitles import CueAssembler, SubtitleOptions

PAIR = ("en-US>es-ES", "es-ES>en-US")


def _final(direction: str, utt: str, start: int, end: int, text: str) -> TranslationFinal:
    src, tgt = direction.split(">")
    return TranslationFinal(direction, utt, src, tgt, start, end, text, "x")


def _written_by(now_limit: int, *, skip: bool) -> int:
    """Two English utterances in a row: the Spanish→English direction translates neither."""
    core = CueAssembler(SubtitleOptions())
    written = 0
    for utt, start, end in (("u1", 1000, 3000), ("u2", 4000, 6000)):
        for d in PAIR:
            written += len(core.feed(SpeechStarted(d, utt, start)))
        written += len(core.feed(_final(PAIR[0], utt, start, end, f"Frase {utt}.")))
        if skip:
            written += len(core.feed(UtteranceSkipped(PAIR[1], utt, "the other direction translates it")))
    for now in range(6000, now_limit, 250):
        written += len(core.feed(InputProgress(now)))
    return written


def test_skip_releases_cues_at_once() -> None:
    assert _written_by(10_000, skip=True) == 2


def test_without_skip_the_second_cue_would_be_held() -> None:
    assert _written_by(10_000, skip=False) == 1
