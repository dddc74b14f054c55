"""Cue timing (pure): place an utterance's cues on the input audio timeline.

An utterance spoken from ``start_ms`` to ``end_ms`` becomes one or more cues. Each cue
needs ``max(min_duration_ms, chars / max_cps)`` to be read. The utterance's window is
lengthened into the following silence until every cue has that time, but never past
the next speech start (``limit_ms``), and it is then divided between the cues in
proportion to their need, which is their text length for all but very short cues.

Invariants (checked by property tests): every cue has ``end > start``; cues never
overlap and never run backwards: a cue that would start before ``not_before_ms`` (the
end of the previous cue on the same track) is clamped to start there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    start_ms: int
    end_ms: int


def reading_need_ms(chars: int, min_duration_ms: int, max_cps: float) -> int:
    """How long a cue of ``chars`` characters must stay up to be read."""
    return max(min_duration_ms, round(chars * 1000 / max_cps))


def wanted_end_ms(start_ms: int, end_ms: int, needs_ms: Sequence[int], not_before_ms: int) -> int:
    """Where the last cue would end with no later speech: the utterance lengthened to its need."""
    begin = max(start_ms, not_before_ms)
    natural = max(end_ms, begin + len(needs_ms))
    return max(natural, begin + sum(needs_ms))


def place(
    start_ms: int,
    end_ms: int,
    needs_ms: Sequence[int],
    *,
    not_before_ms: int,
    limit_ms: int | None,
) -> list[Span]:
    """Spans for cues with the given reading needs (one per cue, in order).

    ``limit_ms`` is the next speech start on this track, if known: cues may run into the
    silence before it but not past it. It never shortens the utterance's own speech;
    the next cue is clamped instead.
    """
    count = len(needs_ms)
    if count == 0:
        return []
    begin = max(start_ms, not_before_ms)
    natural = max(end_ms, begin + count)
    finish = wanted_end_ms(start_ms, end_ms, needs_ms, not_before_ms)
    if limit_ms is not None:
        finish = min(finish, max(limit_ms, natural))
    weights = [max(1, need) for need in needs_ms]
    total = sum(weights)
    spans: list[Span] = []
    previous = begin
    running = 0
    for index, weight in enumerate(weights):
        running += weight
        if index == count - 1:
            boundary = finish
        else:
            boundary = begin + round((finish - begin) * running / total)
            boundary = min(max(boundary, previous + 1), finish - (count - 1 - index))
        spans.append(Span(previous, boundary))
        previous = boundary
    return spans
