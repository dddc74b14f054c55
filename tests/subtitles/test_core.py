"""The cue assembler: when cues become final, their order, filters, and run-level properties."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.subtitles.scenario import EN_ES, ES_EN
from tests.subtitles.variants import VARIANTS, expected_cues
from translator.events import InputProgress, SourceFinal, SpeechStarted, TranslationFinal, TranslatorEvent
from translator.subtitles import Cue, CueAssembler, SubtitleOptions
from translator.subtitles.core import MAX_HOLD_MS, SPEECH_START_GRACE_MS


def tf(
    direction: str, utt: str, start: int, end: int, text: str, source_text: str = "source"
) -> TranslationFinal:
    src, _, tgt = direction.partition(">")
    return TranslationFinal(direction, utt, src, tgt, start, end, text, source_text)


def sf(direction: str, utt: str, start: int, end: int, text: str) -> SourceFinal:
    src, _, tgt = direction.partition(">")
    return SourceFinal(direction, utt, src, tgt, start, end, text)


def feed_all(assembler: CueAssembler, events: list[TranslatorEvent]) -> list[Cue]:
    out: list[Cue] = []
    for event in events:
        out.extend(assembler.feed(event))
    return out


def test_cue_waits_for_its_end_then_next_speech_start_fixes_it() -> None:
    asm = CueAssembler(SubtitleOptions())
    assert asm.feed(SpeechStarted(EN_ES, "u1", 1000)) == []
    assert asm.feed(tf(EN_ES, "u1", 1000, 1200, "Hola.")) == []
    (cue,) = asm.feed(SpeechStarted(EN_ES, "u2", 1700))
    assert (cue.start_ms, cue.end_ms, cue.lines) == (1000, 1700, ("Hola.",))


def test_input_clock_past_the_lengthened_end_fixes_the_cue() -> None:
    asm = CueAssembler(SubtitleOptions())
    asm.feed(tf(EN_ES, "u1", 1000, 1200, "Hola."))
    assert asm.feed(InputProgress(2000 + SPEECH_START_GRACE_MS - 1)) == []
    (cue,) = asm.feed(InputProgress(2000 + SPEECH_START_GRACE_MS))
    assert (cue.start_ms, cue.end_ms) == (1000, 2000)


def test_late_translation_uses_the_speech_start_already_seen() -> None:
    asm = CueAssembler(SubtitleOptions())
    asm.feed(SpeechStarted(EN_ES, "u1", 1000))
    asm.feed(SpeechStarted(EN_ES, "u2", 1500))
    (cue,) = asm.feed(tf(EN_ES, "u1", 1000, 1400, "Hola."))
    assert (cue.start_ms, cue.end_ms) == (1000, 1500)


def test_cue_starting_before_the_previous_end_is_clamped() -> None:
    asm = CueAssembler(SubtitleOptions())
    cues = feed_all(asm, [tf(EN_ES, "u1", 1000, 3000, "Uno."), tf(EN_ES, "u2", 2500, 4000, "Dos.")])
    cues += asm.finish()
    assert [(c.start_ms, c.end_ms) for c in cues] == [(1000, 3000), (3000, 4000)]


def test_directions_are_written_in_start_order() -> None:
    asm = CueAssembler(SubtitleOptions())
    out = feed_all(
        asm,
        [
            SpeechStarted(ES_EN, "v1", 900),
            SpeechStarted(EN_ES, "u1", 1000),
            tf(EN_ES, "u1", 1000, 1500, "Hola."),
            InputProgress(10_000),  # u1 is fixed, but v1 started earlier and is not final yet
        ],
    )
    assert out == []
    out = asm.feed(tf(ES_EN, "v1", 900, 2000, "Hello."))
    out += asm.feed(InputProgress(20_000))
    assert [c.lines for c in out] == [("Hello.",), ("Hola.",)]


def test_a_lost_translation_holds_other_directions_for_at_most_max_hold() -> None:
    asm = CueAssembler(SubtitleOptions())
    feed_all(asm, [SpeechStarted(ES_EN, "v1", 500), tf(EN_ES, "u1", 1000, 1500, "Hola.")])
    assert asm.feed(InputProgress(500 + MAX_HOLD_MS)) == []
    (cue,) = asm.feed(InputProgress(500 + MAX_HOLD_MS + 200))
    assert cue.lines == ("Hola.",)


def test_target_filter_keeps_one_target_and_finish_writes_everything() -> None:
    asm = CueAssembler(SubtitleOptions(track="both"), target_language="es")
    out = feed_all(
        asm,
        [
            sf(EN_ES, "u1", 0, 900, "Hi."),
            tf(EN_ES, "u1", 0, 900, "Hola.", "Hi."),
            tf(ES_EN, "v1", 0, 900, "Hi."),
        ],
    )
    out += asm.finish()
    assert [(c.kind, c.lines) for c in out] == [("source", ("Hi.",)), ("translation", ("Hola.",))]
    assert asm.finish() == []


def test_text_removed_by_the_profanity_filter_gives_no_cue() -> None:
    asm = CueAssembler(SubtitleOptions(profanity="remove"))
    assert feed_all(asm, [tf(EN_ES, "u1", 0, 900, "¡Mierda!")]) + asm.finish() == []


def test_bilingual_cue_carries_both_lines_in_the_chosen_order() -> None:
    asm = CueAssembler(SubtitleOptions(bilingual="translation-first"))
    (cue,) = feed_all(asm, [tf(EN_ES, "u1", 0, 900, "Hola.", "Hello.")]) + asm.finish()
    assert cue.lines == ("Hola.", "Hello.")
    assert cue.kind == "bilingual"


WORDS = st.sampled_from(["hola", "tren", "estación,", "Madrid.", "¿dónde?", "sí", "mañana", "x" * 40, "😀"])


@st.composite
def runs(draw: st.DrawFn) -> tuple[list[TranslatorEvent], list[str]]:
    """One direction: utterances with random gaps and lengths, translations arriving late,
    speech starts reported late; events in order per direction as sessions guarantee."""
    events: list[tuple[int, int, TranslatorEvent]] = []
    texts: list[str] = []
    at = draw(st.integers(0, 2000))
    started_at = final_at = 0
    for index in range(draw(st.integers(1, 12))):
        start = at
        end = start + draw(st.integers(0, 9000))
        text = " ".join(draw(st.lists(WORDS, min_size=1, max_size=30)))
        texts.append(text)
        utt = f"u{index}"
        started_at = max(started_at, start + draw(st.integers(0, 1200)))
        events.append((started_at, len(events), SpeechStarted(EN_ES, utt, start)))
        final_at = max(final_at, started_at, end + draw(st.integers(0, 6000)))
        events.append((final_at, len(events), tf(EN_ES, utt, start, end, text)))
        at = max(0, end + draw(st.integers(-300, 4000)))  # may start before the previous end
    last = max(t for t, _, _ in events)
    events += [(t, -1, InputProgress(t)) for t in range(0, last + 3000, 250)]
    events.sort(key=lambda item: (item[0], item[1]))
    return [e for _, _, e in events], texts


@settings(max_examples=300, deadline=None)
@given(runs(), st.sampled_from([SubtitleOptions(), SubtitleOptions(max_chars=20, max_lines=1)]))
def test_a_run_gives_increasing_non_overlapping_cues_with_every_word(
    run: tuple[list[TranslatorEvent], list[str]], options: SubtitleOptions
) -> None:
    events, texts = run
    asm = CueAssembler(options)
    cues = feed_all(asm, events) + asm.finish()
    for cue in cues:
        assert cue.end_ms > cue.start_ms
    for before, after in pairwise(cues):
        assert after.start_ms >= before.end_ms
    words = [w for cue in cues for line in cue.lines for w in line.split(" ")]
    assert words == " ".join(texts).split(" ")


def test_every_variant_writes_cues_in_start_order_without_overlap_per_track() -> None:
    for name in VARIANTS:
        cues = expected_cues(name)
        assert cues, name
        assert [c.start_ms for c in cues] == sorted(c.start_ms for c in cues), name
        for key in {(c.direction, c.kind) for c in cues}:
            track = [c for c in cues if (c.direction, c.kind) == key]
            for before, after in pairwise(track):
                assert after.start_ms >= before.end_ms, (name, key)
