"""One input, cut into utterances and fanned out to the sessions that hear it.

source (file or microphone) ─▶ segmenter ─▶ session.push() for each session
                                          └▶ SpeechStarted / InputProgress events

When the service detects the turns (``turn_detection.type`` other than ``client``)
there is no segmenter: the audio goes to the sessions as it comes, with the length of
the pause at its end by the client's own detector (so a session can end a turn that
runs past ``max_segment_ms`` at a pause), and each session reports speech starts itself.

Sessions keep their own bounded backlog (``utterances.py``), so a slow or reconnecting
session never stalls the input or the other sessions. In fast mode (a file streamed
as fast as the service accepts it) the pipeline waits while a session's backlog is
long instead of letting it drop audio: nothing is real-time there.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

import structlog

from translator.events import InputProgress, SpeechStarted, TranslatorEvent
from translator.listen.clock import InputClock
from translator.listen.segmenter import Segment, Segmenter, SegmentOpen, Unsegmented, VadParams
from translator.listen.speech import PauseMeter
from translator.voicelive.session import Session

log = structlog.get_logger(__name__)

_PROGRESS_EVERY_MS = 250
_FAST_BACKLOG_MS = 12_000


class InputPipeline:
    def __init__(
        self,
        source: Any,
        sessions: Sequence[Session],
        vad: VadParams,
        emit: Callable[[TranslatorEvent], None],
        *,
        fast: bool,
        by_service: bool = False,
        name: str = "input",
        id_prefix: str = "u",
        monitor: Callable[[Any, int], None] | None = None,
    ) -> None:
        self._source = source
        self._sessions = list(sessions)
        rate = source.sample_rate_hz
        self._segmenter = None if by_service else Segmenter(vad, rate, id_prefix=id_prefix)
        self._pauses = PauseMeter(vad, rate) if by_service else None
        self._emit = emit
        self._fast = fast
        self._monitor = monitor  # the player's monitor feed (original audio, ducked under translation)
        self._name = name
        self.audio_ms = 0
        self._last_progress_ms = 0
        self._clock = InputClock()  # for latency figures: when each point of the input was heard

    @property
    def input_ms(self) -> int:
        """The input's own length so far: a file's appended trailing silence is not counted."""
        return min(self.audio_ms, getattr(self._source, "content_ms", self.audio_ms))

    def _dispatch(self, segments: list[Segment]) -> None:
        for seg in segments:
            if isinstance(seg, SegmentOpen):
                wall = self._clock.wall_at(seg.start_ms)
                for s in self._sessions:
                    self._emit(SpeechStarted(s.key, seg.utterance, seg.start_ms))
            else:
                wall = time.monotonic()
            for s in self._sessions:
                s.push(seg, wall)

    async def run(self) -> None:
        """Read the source to its end (or until cancelled), then end every session's input."""
        try:
            async for chunk in self._source.chunks():
                self.audio_ms = chunk.start_ms + len(chunk.pcm) * 1000 // (2 * self._source.sample_rate_hz)
                self._clock.advance(self.audio_ms, time.monotonic())
                if self._segmenter is not None:
                    self._dispatch(self._segmenter.push(chunk.pcm))
                else:
                    pause_ms, talk_ms = self._pauses.push(chunk.pcm) if self._pauses is not None else (0, 0)
                    raw, now = Unsegmented(chunk.pcm, pause_ms, talk_ms), time.monotonic()
                    for s in self._sessions:
                        s.push(raw, now)
                if self._monitor is not None:
                    self._monitor(chunk, self._source.sample_rate_hz)
                if self.audio_ms - self._last_progress_ms >= _PROGRESS_EVERY_MS:
                    self._last_progress_ms = self.audio_ms
                    self._emit(InputProgress(self.audio_ms))
                if self._fast:
                    await self._backpressure()
        finally:
            if self._segmenter is not None:
                self._dispatch(self._segmenter.finish())
            self._emit(InputProgress(self.audio_ms))
            for s in self._sessions:
                s.end_input()
            log.info("input_ended", input=self._name, audio_s=round(self.audio_ms / 1000, 1))

    async def _backpressure(self) -> None:
        while any(s.backlog_ms() > _FAST_BACKLOG_MS for s in self._sessions):
            if all(s.finished() for s in self._sessions):
                return
            await asyncio.sleep(0.02)
        await asyncio.sleep(0)  # let the sessions send what they have

    async def aclose(self) -> None:
        await self._source.aclose()
