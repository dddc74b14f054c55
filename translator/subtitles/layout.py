"""Cue layout (pure): wrap a text into lines and split it into cues.

Rules (checked by property tests in ``tests/subtitles/test_layout_properties.py``):

- no line is wider than ``max_width`` display columns, except a single unit (word)
  wider than the limit, which stands alone on its line;
- a cue holds at most ``max_lines`` lines;
- words are never cut and the text is preserved word for word across lines and cues;
- cues break preferably at sentence ends, then at clause marks, then between words;
  lines inside a cue are balanced (similar widths) and prefer clause breaks too.

Both splits are small dynamic programmes over the units of ``textunits.to_units``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from translator.subtitles.textunits import BreakKind, Unit, to_units

_CUE_COST = 100.0
_CUE_BREAK_PENALTY: dict[BreakKind, float] = {"sentence": 0.0, "clause": 40.0, "word": 150.0}
_LINE_BREAK_PENALTY: dict[BreakKind, float] = {"sentence": 0.0, "clause": 0.0, "word": 40.0}
_TINY_CUE_PENALTY = 60.0
_BALANCE_WEIGHT = 50.0
_INF = float("inf")
_SEGMENT_UNITS = 100
"""Texts longer than this are first cut at sentence ends and laid out piece by piece,
which keeps the exact split linear in the text length (sentence ends are the preferred
cue breaks anyway). A sentence that runs past twice this is cut too, at its last clause
mark (else between words), so text without any full stop stays linear as well."""
MAX_TEXT_CHARS = 10_000
"""The cap on one line of text laid out as cues: about ten minutes of speech at a
comfortable reading speed, far past any real utterance. A longer text (only a broken
or hostile service sends one) is cut at the last word boundary before the cap and ends
with "…"; the JSONL export and stdout keep the whole text."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """The text of one cue, already wrapped into lines. An empty chunk has no lines."""

    lines: tuple[str, ...]
    text: str
    """The chunk on one line (lines joined with their separators)."""

    @property
    def chars(self) -> int:
        """Characters counted for the reading-speed ceiling."""
        return len(self.text)


def join_units(units: Sequence[Unit]) -> str:
    return "".join((u.sep if i else "") + u.text for i, u in enumerate(units))


def _prefix(units: Sequence[Unit]) -> list[int]:
    """``pre[i]``: columns of ``units[:i]`` with every separator, so widths are O(1)."""
    pre = [0]
    for unit in units:
        pre.append(pre[-1] + len(unit.sep) + unit.width)
    return pre


def _width(units: Sequence[Unit], pre: Sequence[int], start: int, end: int) -> int:
    """Columns of ``units[start:end]`` on one line (the first unit's separator dropped)."""
    return pre[end] - pre[start] - len(units[start].sep)


def count_lines(units: Sequence[Unit], max_width: int) -> int:
    """Fewest lines that hold ``units`` (greedy filling is optimal for this)."""
    lines = 0
    current = -1  # width of the current line, -1 = no line open
    for unit in units:
        if current >= 0 and current + len(unit.sep) + unit.width <= max_width:
            current += len(unit.sep) + unit.width
        else:
            lines += 1
            current = unit.width
    return lines


def wrap(units: Sequence[Unit], max_width: int) -> list[str]:
    """Wrap into the fewest lines, balancing their widths and preferring clause breaks."""
    count = len(units)
    if count == 0:
        return []
    target = count_lines(units, max_width)
    pre = _prefix(units)
    # best[k][i]: cost of putting units[:i] on k lines; parent for the walk back.
    best = [[_INF] * (count + 1) for _ in range(target + 1)]
    parent = [[0] * (count + 1) for _ in range(target + 1)]
    best[0][0] = 0.0
    for lines in range(1, target + 1):
        for end in range(1, count + 1):
            for start in range(end - 1, -1, -1):
                width = _width(units, pre, start, end)
                if width > max_width and end - start > 1:
                    break
                if best[lines - 1][start] == _INF:
                    continue
                slack = max(0, max_width - width)
                cost = best[lines - 1][start] + slack * slack
                if end < count:
                    cost += _LINE_BREAK_PENALTY[units[end - 1].brk]
                if cost < best[lines][end]:
                    best[lines][end] = cost
                    parent[lines][end] = start
    out: list[str] = []
    end = count
    for lines in range(target, 0, -1):
        start = parent[lines][end]
        out.append(join_units(units[start:end]))
        end = start
    return out[::-1]


def _chunk_cost(
    units: Sequence[Unit], pre: Sequence[int], start: int, end: int, max_width: int, average: float | None
) -> float:
    width = _width(units, pre, start, end)
    cost = 0.0
    if end < len(units):
        cost += _CUE_BREAK_PENALTY[units[end - 1].brk]
    if width * 3 < max_width and not (start == 0 and end == len(units)):
        cost += _TINY_CUE_PENALTY
    if average:
        cost += _BALANCE_WEIGHT * ((width - average) / average) ** 2
    return cost


def _fitting_ends(units: Sequence[Unit], start: int, max_width: int, max_lines: int) -> range:
    """Ends ``e`` such that ``units[start:e]`` fits in ``max_lines`` lines (greedy, incremental)."""
    lines = 0
    current = -1
    end = start
    for unit in units[start:]:
        if current >= 0 and current + len(unit.sep) + unit.width <= max_width:
            current += len(unit.sep) + unit.width
        else:
            lines += 1
            current = unit.width
        if lines > max_lines and end > start:
            break
        end += 1
    return range(start + 1, end + 1)


def _split_fewest(units: Sequence[Unit], max_width: int, max_lines: int) -> int:
    """How many cues the best split uses (an extra cue is worth a sentence-end break)."""
    count = len(units)
    pre = _prefix(units)
    best = [_INF] * (count + 1)
    used = [0] * (count + 1)
    best[0] = 0.0
    for start in range(count):
        if best[start] == _INF:
            continue
        for end in _fitting_ends(units, start, max_width, max_lines):
            cost = best[start] + _CUE_COST + _chunk_cost(units, pre, start, end, max_width, None)
            if cost < best[end]:
                best[end] = cost
                used[end] = used[start] + 1
    return used[count]


def _split_exact(units: Sequence[Unit], max_width: int, max_lines: int, cues: int) -> list[tuple[int, int]]:
    """Split into exactly ``cues`` non-empty ranges (``cues`` <= len(units)), balanced."""
    count = len(units)
    pre = _prefix(units)
    average = _width(units, pre, 0, count) / cues
    best = [[_INF] * (count + 1) for _ in range(cues + 1)]
    parent = [[0] * (count + 1) for _ in range(cues + 1)]
    best[0][0] = 0.0
    for used in range(1, cues + 1):
        for start in range(count):
            if best[used - 1][start] == _INF:
                continue
            for end in _fitting_ends(units, start, max_width, max_lines):
                cost = best[used - 1][start] + _chunk_cost(units, pre, start, end, max_width, average)
                if cost < best[used][end]:
                    best[used][end] = cost
                    parent[used][end] = start
    if best[cues][count] == _INF:  # cannot happen when cues >= the fewest; keep a safe fallback
        return [(i, i + 1) for i in range(count)]
    ranges: list[tuple[int, int]] = []
    end = count
    for used in range(cues, 0, -1):
        start = parent[used][end]
        ranges.append((start, end))
        end = start
    return ranges[::-1]


def _chunks(units: Sequence[Unit], ranges: list[tuple[int, int]], max_width: int) -> list[Chunk]:
    return [Chunk(lines=tuple(wrap(units[a:b], max_width)), text=join_units(units[a:b])) for a, b in ranges]


def _segments(units: Sequence[Unit]) -> list[list[Unit]]:
    """Consecutive runs of whole sentences, each about ``_SEGMENT_UNITS`` long at most."""
    segments: list[list[Unit]] = [[]]
    sentence: list[Unit] = []
    for unit in units:
        sentence.append(unit)
        if len(sentence) >= 2 * _SEGMENT_UNITS:  # a run-on "sentence": cut it at a clause mark
            cut = next((i for i in range(len(sentence) - 1, 0, -1) if sentence[i - 1].brk == "clause"), 0)
            cut = cut or _SEGMENT_UNITS
            segments.append(sentence[:cut])
            segments.append([])
            sentence = sentence[cut:]
        if unit.brk == "sentence":
            if segments[-1] and len(segments[-1]) + len(sentence) > _SEGMENT_UNITS:
                segments.append([])
            segments[-1].extend(sentence)
            sentence = []
    if sentence:
        if segments[-1] and len(segments[-1]) + len(sentence) > _SEGMENT_UNITS:
            segments.append([])
        segments[-1].extend(sentence)
    return [seg for seg in segments if seg]


def _layout_units(units: Sequence[Unit], max_width: int, max_lines: int, cues: int | None) -> list[Chunk]:
    fewest = _split_fewest(units, max_width, max_lines)
    wanted = fewest if cues is None else max(cues, fewest)
    if wanted >= len(units):
        ranges = [(i, i + 1) for i in range(len(units))]
    else:
        ranges = _split_exact(units, max_width, max_lines, wanted)
    return _chunks(units, ranges, max_width)


def cap_text(text: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    """``text`` cut to ``MAX_TEXT_CHARS`` at a word boundary, marked with "…" (see there)."""
    if len(text) <= max_chars:
        return text
    head = text[:max_chars]
    space = head.rfind(" ", max_chars // 2)
    return (head[:space] if space > 0 else head).rstrip() + "…"


def split_text(text: str, max_width: int, max_lines: int, cues: int | None = None) -> list[Chunk]:
    """Lay ``text`` out as cues. With ``cues`` given, exactly that many (padded with empty
    chunks when the text has fewer units than cues); else as few as reads well."""
    units = to_units(cap_text(text))
    if not units:
        return [Chunk(lines=(), text="")] * (cues or 0)
    segments = _segments(units)
    if len(segments) == 1:
        chunks = _layout_units(units, max_width, max_lines, cues)
    else:
        chunks = [c for seg in segments for c in _layout_units(seg, max_width, max_lines, None)]
        if cues is not None and len(chunks) < cues and len(units) <= 2 * _SEGMENT_UNITS:
            # An exact split of the whole text is quadratic: only for short texts; a long
            # one is padded with empty chunks below instead.
            chunks = _layout_units(units, max_width, max_lines, cues)
    if cues is not None and len(chunks) < cues:
        chunks += [Chunk(lines=(), text="")] * (cues - len(chunks))
    return chunks


def split_pair(
    first: str, first_width: int, second: str, second_width: int, max_lines: int
) -> list[tuple[Chunk, Chunk]]:
    """Lay out two texts (a source line and its translation) as the same number of cues."""
    first_chunks = split_text(first, first_width, max_lines)
    second_chunks = split_text(second, second_width, max_lines)
    cues = max(len(first_chunks), len(second_chunks))
    if len(first_chunks) < cues:
        first_chunks = split_text(first, first_width, max_lines, cues)
    if len(second_chunks) < cues:
        second_chunks = split_text(second, second_width, max_lines, cues)
    return list(zip(first_chunks, second_chunks, strict=True))
