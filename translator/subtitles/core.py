"""The subtitle core (pure, no I/O): internal events in, finished cues out, in time order.

A *track* is one stream of cues: ``(direction, kind)`` with kind ``source``,
``translation`` or ``bilingual``. For each final line the core lays the text out
(``layout``), then keeps the utterance *pending* until its end can be fixed
(``timing``): when the next speech start on that direction is known (``SpeechStarted``
or the next final), or when the input clock (``InputProgress``) is safely past the
lengthened end. Then its cues are *ready*.

Ready cues of several tracks (both directions in one file, or source and translation
cues side by side) are released in start-time order: a cue waits while another track
may still produce a cue that starts earlier (a pending utterance, or speech that has
started but whose final line has not arrived). Such a wait ends at the latest
``MAX_HOLD_MS`` of input audio later, so a lost translation cannot stall a file.
Nothing is ever dropped: ``finish()`` releases everything that is left.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal

import structlog

from translator.events import (
    InputProgress,
    SourceFinal,
    SpeechStarted,
    TranslationFinal,
    TranslatorEvent,
    UtteranceSkipped,
)
from translator.subtitles.layout import Chunk, split_pair, split_text
from translator.subtitles.options import SubtitleOptions, primary_language
from translator.subtitles.profanity import filter_profanity
from translator.subtitles.timing import place, reading_need_ms, wanted_end_ms

log = structlog.get_logger(__name__)

CueKind = Literal["source", "translation", "bilingual"]
TrackKey = tuple[str, CueKind]

SPEECH_START_GRACE_MS = 1500
"""How far the input clock must be past a cue's lengthened end before the cue is fixed
without knowing the next speech start (server VAD reports a start this late at most)."""
MAX_HOLD_MS = 30_000
"""Longest a track waits, in input audio, for another track's expected line."""
_KIND_RANK: dict[CueKind, int] = {"source": 0, "bilingual": 1, "translation": 2}
"""Among cues that start together, the source line comes first."""
MAX_KNOWN_STARTS = 64
"""Speech starts remembered per direction; the oldest is forgotten first."""


@dataclass(frozen=True, slots=True)
class Cue:
    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    direction: str
    utterance: str
    kind: CueKind


@dataclass(frozen=True, slots=True)
class _Pending:
    utterance: str
    start_ms: int
    end_ms: int
    chunks: tuple[tuple[str, ...], ...]
    needs_ms: tuple[int, ...]


@dataclass(slots=True)
class _Track:
    last_end_ms: int = 0
    pending: _Pending | None = None
    holds: dict[str, int] = field(default_factory=dict)
    """Utterances that may still give this track a line → the input time they start at."""


def target_of(direction: str) -> str:
    return direction.rpartition(">")[2]


def same_language(wanted: str, actual: str) -> bool:
    """``"es"`` matches ``"es-ES"``; ``"es-MX"`` matches only ``"es-MX"`` (case-insensitive)."""
    wanted_l, actual_l = wanted.lower(), actual.lower()
    return wanted_l == actual_l or ("-" not in wanted_l and primary_language(actual_l) == wanted_l)


class CueAssembler:
    """Turns events into cues for one subtitle file (or all files of one target)."""

    def __init__(self, options: SubtitleOptions, *, target_language: str | None = None) -> None:
        self._options = options
        self._target = target_language
        self._kinds: tuple[CueKind, ...] = self._wanted_kinds(options)
        self._tracks: dict[TrackKey, _Track] = {}
        self._starts: dict[str, OrderedDict[str, int]] = {}
        self._ready: list[tuple[int, int, int, Cue]] = []
        self._sequence = 0
        self._now_ms = 0

    @staticmethod
    def _wanted_kinds(options: SubtitleOptions) -> tuple[CueKind, ...]:
        if options.bilingual != "off":
            return ("bilingual",)
        if options.track == "both":
            return ("source", "translation")
        return ("source",) if options.track == "source" else ("translation",)

    def _accepts(self, direction: str) -> bool:
        return self._target is None or same_language(self._target, target_of(direction))

    def _track(self, direction: str, kind: CueKind) -> _Track:
        return self._tracks.setdefault((direction, kind), _Track())

    def feed(self, event: TranslatorEvent) -> list[Cue]:
        """Take one event; return the cues that are now final, in start order."""
        match event:
            case SpeechStarted() if self._accepts(event.direction):
                self._on_speech_started(event)
            case SourceFinal() if self._accepts(event.direction):
                self._on_final(event, "source")
            case TranslationFinal() if self._accepts(event.direction):
                self._on_final(event, "bilingual" if self._options.bilingual != "off" else "translation")
            case UtteranceSkipped() if self._accepts(event.direction):
                for kind in self._kinds:
                    self._track(event.direction, kind).holds.pop(event.utterance, None)
            case InputProgress():
                self._on_progress(event.now_ms)
            case _:
                pass
        return self._release(final=False)

    def finish(self) -> list[Cue]:
        """Fix every pending cue and release all cues (the run is over)."""
        for (direction, kind), track in self._tracks.items():
            track.holds.clear()
            if track.pending is not None:
                self._fix(direction, kind, track, self._next_start(direction, track.pending))
        return self._release(final=True)

    # -- events ---------------------------------------------------------------------------

    def _on_speech_started(self, event: SpeechStarted) -> None:
        starts = self._starts.setdefault(event.direction, OrderedDict())
        starts[event.utterance] = event.start_ms
        while len(starts) > MAX_KNOWN_STARTS:
            starts.popitem(last=False)
        for kind in self._kinds:
            track = self._track(event.direction, kind)
            track.holds[event.utterance] = event.start_ms
            pending = track.pending
            later = pending is not None and event.start_ms > pending.start_ms
            if later and pending is not None and pending.utterance != event.utterance:
                self._fix(event.direction, kind, track, event.start_ms)

    def _on_final(self, event: SourceFinal | TranslationFinal, kind: CueKind) -> None:
        for other in self._kinds:
            if other != kind and isinstance(event, SourceFinal):
                # The translation of this utterance is still to come: hold from its start.
                self._track(event.direction, other).holds.setdefault(event.utterance, event.start_ms)
        if kind not in self._kinds:
            return
        track = self._track(event.direction, kind)
        track.holds = {u: s for u, s in track.holds.items() if u != event.utterance and s > event.start_ms}
        if track.pending is not None:
            limit = self._next_start(event.direction, track.pending)
            if limit is None or event.start_ms < limit:
                limit = event.start_ms
            self._fix(event.direction, kind, track, limit)
        pending = self._layout(event, kind)
        if pending is None:
            return
        track.pending = pending
        limit = self._next_start(event.direction, pending)
        wanted = wanted_end_ms(pending.start_ms, pending.end_ms, pending.needs_ms, track.last_end_ms)
        if limit is not None or self._now_ms >= wanted + SPEECH_START_GRACE_MS:
            self._fix(event.direction, kind, track, limit)

    def _on_progress(self, now_ms: int) -> None:
        self._now_ms = max(self._now_ms, now_ms)
        for (direction, kind), track in self._tracks.items():
            expired = [u for u, since in track.holds.items() if self._now_ms - since > MAX_HOLD_MS]
            for utterance in expired:
                log.debug("subtitle_hold_expired", direction=direction, kind=kind, utterance=utterance)
                del track.holds[utterance]
            pending = track.pending
            if pending is not None:
                wanted = wanted_end_ms(pending.start_ms, pending.end_ms, pending.needs_ms, track.last_end_ms)
                if self._now_ms >= wanted + SPEECH_START_GRACE_MS:
                    self._fix(direction, kind, track, None)

    # -- layout and timing ----------------------------------------------------------------

    def _layout(self, event: SourceFinal | TranslationFinal, kind: CueKind) -> _Pending | None:
        opts = self._options
        pairs: list[tuple[Chunk, Chunk | None]]
        if kind == "source":
            pairs = [(c, None) for c in self._chunks(event.text, event.source_language)]
        elif kind == "translation":
            pairs = [(c, None) for c in self._chunks(event.text, event.target_language)]
        else:
            assert isinstance(event, TranslationFinal)
            pairs = self._bilingual(event)
        chunks: list[tuple[str, ...]] = []
        needs: list[int] = []
        for first, second in pairs:
            lines = first.lines + (second.lines if second is not None else ())
            if not lines:
                continue
            chunks.append(lines)
            sides = ((first, self._lang_of(event, kind, 0)), (second, self._lang_of(event, kind, 1)))
            need = max(
                reading_need_ms(c.chars, opts.min_duration_ms, opts.max_cps_for(lang))
                for c, lang in sides
                if c is not None and c.lines
            )
            needs.append(need)
        if not chunks:
            return None
        return _Pending(event.utterance, event.start_ms, event.end_ms, tuple(chunks), tuple(needs))

    def _lang_of(self, event: SourceFinal | TranslationFinal, kind: CueKind, side: int) -> str:
        if kind == "source":
            return event.source_language
        if kind == "translation":
            return event.target_language
        source_first = self._options.bilingual == "source-first"
        return event.source_language if (side == 0) == source_first else event.target_language

    def _chunks(self, text: str, language: str) -> list[Chunk]:
        clean = filter_profanity(text, self._options.profanity)
        return split_text(clean, self._options.max_chars_for(language), self._options.max_lines)

    def _bilingual(self, event: TranslationFinal) -> list[tuple[Chunk, Chunk | None]]:
        opts = self._options
        source = (
            filter_profanity(event.source_text, opts.profanity),
            opts.max_chars_for(event.source_language),
        )
        target = (filter_profanity(event.text, opts.profanity), opts.max_chars_for(event.target_language))
        first, second = (source, target) if opts.bilingual == "source-first" else (target, source)
        return list(split_pair(first[0], first[1], second[0], second[1], opts.max_lines))

    def _next_start(self, direction: str, pending: _Pending) -> int | None:
        later = [
            start
            for utterance, start in self._starts.get(direction, {}).items()
            if utterance != pending.utterance and start > pending.start_ms
        ]
        return min(later) if later else None

    def _fix(self, direction: str, kind: CueKind, track: _Track, limit_ms: int | None) -> None:
        pending = track.pending
        if pending is None:
            return
        track.pending = None
        spans = place(
            pending.start_ms,
            pending.end_ms,
            pending.needs_ms,
            not_before_ms=track.last_end_ms,
            limit_ms=limit_ms,
        )
        for span, lines in zip(spans, pending.chunks, strict=True):
            cue = Cue(span.start_ms, span.end_ms, lines, direction, pending.utterance, kind)
            self._sequence += 1
            heapq.heappush(self._ready, (cue.start_ms, _KIND_RANK[kind], self._sequence, cue))
        track.last_end_ms = spans[-1].end_ms

    # -- ordering across tracks -----------------------------------------------------------

    def _watermark(self, key: TrackKey) -> float:
        track = self._tracks[key]
        marks: list[float] = [float(s) for s in track.holds.values()]
        if track.pending is not None:
            marks.append(float(max(track.pending.start_ms, track.last_end_ms)))
        return min(marks, default=float("inf"))

    def _release(self, *, final: bool) -> list[Cue]:
        out: list[Cue] = []
        while self._ready:
            start, _, _, cue = self._ready[0]
            own = (cue.direction, cue.kind)
            if not final and any(start > self._watermark(k) for k in self._tracks if k != own):
                break
            heapq.heappop(self._ready)
            out.append(cue)
        return out
