"""Directions built in-process as ``app.py`` builds them, instrumented, for ``bench.py``.

``run_directions`` runs N directions on one paced source and records, per direction,
how late each chunk was handed over, capture → append latency, and ear-voice spans.
Benchmark instrumentation only: it subclasses the segmenter and the session to observe
what they release and send, never to change it. Not a test and not part of the package.
"""

from __future__ import annotations

import asyncio
import bisect
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import CHUNK_MS, RATE_HZ, PacedSource, profile_yaml, read_pcm  # noqa: E402


@dataclass
class DirectionResult:
    max_segment_ms: int | None
    opened: int = 0
    translated: int = 0
    skipped: int = 0
    late_ms: list[float] = field(default_factory=list)
    audio_handed_s: list[float] = field(default_factory=list)
    capture_to_append_ms: list[float] = field(default_factory=list)
    chunk_to_append_ms: list[float] = field(default_factory=list)
    ear_voice_span_ms: list[float] = field(default_factory=list)


def _instrumented_classes() -> tuple[type[Any], type[Any]]:
    """A segmenter that records what it releases, a session that records what it sends.

    Benchmark instrumentation only: they override private methods to observe, not to change.
    """
    from translator.listen.segmenter import Segmenter
    from translator.voicelive.session import Session

    class RecordingSegmenter(Segmenter):
        releases: list[tuple[str, int, int]]

        def _release(self, out: list[Any], upto: int | None = None) -> None:
            first = self._pending_first
            super()._release(out, upto)
            if self._pending_first > first and self._open is not None:
                self.__dict__.setdefault("releases", []).append(
                    (self._open, first, self._pending_first - first)
                )

    class TimedSession(Session):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.sent: list[tuple[float, str, int, str]] = []

        async def _post(self, conn: Any, event: dict[str, Any]) -> None:
            await super()._post(conn, event)
            audio = event.get("audio") or ""
            size = len(audio) * 3 // 4 - audio[-2:].count("=") if audio else 0
            self.sent.append((time.monotonic(), event["type"], size, event.get("event_id", "")))

    return RecordingSegmenter, TimedSession


def _append_latencies(seg: Any, session: Any, source: PacedSource, result: DirectionResult) -> None:
    first_frame: dict[str, int] = {}
    for utt, first, _ in getattr(seg, "releases", []):
        first_frame.setdefault(utt, first)
    order = list(first_frame)
    frame_ms = seg.position_ms // max(1, seg._seen)  # the segmenter's frame (its detector's hop)
    frame_bytes = RATE_HZ * 2 * frame_ms // 1000
    k = offset = 0
    capture: list[float] = []  # the current utterance's figures, kept once its commit is its own
    newest: list[float] = []
    for t, type_, size, event_id in session.sent:
        if type_ == "input_audio_buffer.append" and k < len(order):
            offset += size
            last_frame = first_frame[order[k]] + (offset - 1) // frame_bytes
            captured = source.handed_s[min(len(source.handed_s) - 1, last_frame * frame_ms // CHUNK_MS)]
            capture.append((t - captured) * 1000.0)
            newest.append((t - source.handed_s[bisect.bisect_right(source.handed_s, t) - 1]) * 1000.0)
        elif type_ == "input_audio_buffer.commit":
            utterance = event_id.split("-")[1]
            if utterance in order[:k]:
                return  # sent again after a reconnect: what follows is no capture's first trip
            if k >= len(order) or utterance != order[k]:
                raise RuntimeError(f"append attribution lost: {event_id} is not {order[-1]} or later")
            result.capture_to_append_ms += capture
            result.chunk_to_append_ms += newest
            capture, newest = [], []
            k += 1
            offset = 0


async def run_directions(
    url: str,
    wav: Path,
    *,
    max_segments: Sequence[int | None],
    stagger_s: float,
    seconds: float | None = None,
    record: bool = False,
    wav_dir: Path | None = None,
    early_cut_ms: int | None = None,
) -> list[DirectionResult]:
    """One real-time direction per ``max_segments`` entry, each with its own input and connection
    (``early_cut_ms`` applies to those with a limit)."""
    import tempfile

    from translator.audio import WavSink
    from translator.events import (
        SpeechStarted,
        TranslationAudio,
        TranslationFinal,
        TranslatorEvent,
        UtteranceSkipped,
    )
    from translator.listen.arbiter import Arbiter
    from translator.listen.pipeline import InputPipeline
    from translator.listen.segmenter import Segmenter, VadParams
    from translator.profile.model import load_profile
    from translator.voicelive.connect import ServiceTarget
    from translator.voicelive.session import Session

    with tempfile.TemporaryDirectory() as tmp:
        profile = load_profile(profile_yaml(Path(tmp) / "p.yaml"))
    direction = profile.directions[0]
    target = ServiceTarget(url, profile.service.model, profile.service.api_version, "bench-key", 60.0)
    td = profile.turn_detection
    pcm = read_pcm(wav, seconds)
    seg_cls, session_cls = _instrumented_classes() if record else (Segmenter, Session)
    runs = []
    results: list[DirectionResult] = []
    sinks: list[Any] = []
    for i, max_ms in enumerate(max_segments):
        result = DirectionResult(max_ms)
        results.append(result)
        sink = WavSink(wav_dir / f"latency-{i}.wav") if wav_dir is not None else None
        if sink is not None:
            sinks.append(sink)

        def emit(ev: TranslatorEvent, r: DirectionResult = result, sink: Any = sink) -> None:
            if isinstance(ev, TranslationAudio):
                if sink is not None:
                    sink.push(ev)
                r.audio_handed_s.append(time.monotonic())
            elif isinstance(ev, SpeechStarted):
                r.opened += 1
            elif isinstance(ev, TranslationFinal):
                r.translated += 1
            elif isinstance(ev, UtteranceSkipped):
                r.skipped += 1

        source = PacedSource(pcm)
        session = session_cls(direction, profile, target, emit, Arbiter())
        vad = VadParams(
            td.threshold,
            td.prefix_padding_ms,
            td.silence_duration_ms,
            td.speech_duration_ms,
            max_ms,
            early_cut_ms=early_cut_ms if max_ms else None,
        )
        pipeline = InputPipeline(source, [session], vad, emit, fast=False)
        segmenter = seg_cls(vad, RATE_HZ)
        pipeline._segmenter = segmenter  # the recording segmenter behaves exactly like the plain one
        runs.append((i * stagger_s, source, session, pipeline, segmenter, result))

    async def one(delay: float, source: PacedSource, session: Any, pipeline: Any) -> None:
        await asyncio.sleep(delay)
        await asyncio.gather(session.run(), pipeline.run())

    try:
        await asyncio.wait_for(
            asyncio.gather(*(one(d, src, s, p) for d, src, s, p, _, _ in runs)),
            len(pcm) / (2 * RATE_HZ) + len(runs) * stagger_s + 120,
        )
    finally:
        for sink in sinks:
            sink.close()
    for _, source, session, _, segmenter, result in runs:
        result.late_ms = source.late_ms
        result.ear_voice_span_ms = [
            x.ear_voice_span_ms for x in session.stats.latencies if x.ear_voice_span_ms is not None
        ]
        if record:
            _append_latencies(segmenter, session, source, result)
    return results
