"""Cue timing: property tests of the invariants and pinned examples."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from translator.subtitles.timing import place, reading_need_ms

needs = st.lists(st.integers(min_value=0, max_value=8000), min_size=1, max_size=8)
times = st.integers(min_value=0, max_value=100_000)


@settings(max_examples=500, deadline=None)
@given(times, st.integers(min_value=-500, max_value=20_000), needs, times, st.one_of(st.none(), times))
def test_spans_increase_never_overlap_and_respect_the_clamp(
    start: int, length: int, need: list[int], not_before: int, limit: int | None
) -> None:
    end = start + length
    spans = place(start, end, need, not_before_ms=not_before, limit_ms=limit)
    assert len(spans) == len(need)
    assert spans[0].start_ms == max(start, not_before)
    for span in spans:
        assert span.end_ms > span.start_ms
    for before, after in pairwise(spans):
        assert after.start_ms == before.end_ms
    natural_end = max(end, spans[0].start_ms + len(need))
    if limit is not None:
        assert spans[-1].end_ms <= max(limit, natural_end)
    assert spans[-1].end_ms >= natural_end


def test_short_cue_is_lengthened_into_silence_up_to_its_reading_need() -> None:
    (span,) = place(1000, 1300, [reading_need_ms(4, 1000, 17.0)], not_before_ms=0, limit_ms=None)
    assert (span.start_ms, span.end_ms) == (1000, 2000)


def test_lengthening_stops_at_the_next_speech_start() -> None:
    (span,) = place(1000, 1300, [1000], not_before_ms=0, limit_ms=1600)
    assert (span.start_ms, span.end_ms) == (1000, 1600)


def test_next_speech_inside_this_utterance_does_not_shorten_it() -> None:
    (span,) = place(1000, 3000, [1000], not_before_ms=0, limit_ms=2000)
    assert (span.start_ms, span.end_ms) == (1000, 3000)


def test_cue_that_would_start_before_the_previous_end_is_clamped() -> None:
    (span,) = place(1000, 3000, [500], not_before_ms=2500, limit_ms=None)
    assert (span.start_ms, span.end_ms) == (2500, 3000)


def test_utterance_is_divided_by_text_length() -> None:
    # 34 and 17 characters at 17 cps need 2 s and 1 s; the 6 s utterance divides 2:1.
    spans = place(
        0,
        6000,
        [reading_need_ms(34, 1000, 17.0), reading_need_ms(17, 1000, 17.0)],
        not_before_ms=0,
        limit_ms=None,
    )
    assert [(s.start_ms, s.end_ms) for s in spans] == [(0, 4000), (4000, 6000)]


def test_reading_speed_ceiling() -> None:
    assert reading_need_ms(34, 1000, 17.0) == 2000
    assert reading_need_ms(3, 1000, 17.0) == 1000
    assert reading_need_ms(18, 500, 9.0) == 2000
