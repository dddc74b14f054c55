"""The audience's view of the run, on the server's own event loop: caption messages,
captions files, and one encoded audio channel per language.

It only consumes events (``handle``, ``push_original``) and never talks back to the run.
Caption readers and audio listeners hold cursors into what the hub publishes (see
``channel.py``); waking them is the only work the hub does per listener, and it never
waits for any of them.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field

import structlog

from translator.events import TranslationAudio, TranslatorEvent
from translator.serve.captions import ORIGINAL, Caption, CaptionBook
from translator.serve.channel import AudioChannel
from translator.serve.cuefiles import CaptionFiles
from translator.serve.fanout import FanOut
from translator.serve.opus import OpusEncoder
from translator.subtitles.core import target_of
from translator.subtitles.options import SubtitleOptions

log = structlog.get_logger(__name__)

FLUSH_AFTER_S = 0.06
"""Speech that stops for this long has its last partial frame padded and sent."""
LAG_SAMPLES_KEPT = 200_000
WAKE_EVERY_S = 0.04
"""Listeners are woken at most this often (two 20 ms frames a message): the fan-out's
cost per listener halves, for at most 40 ms added."""


@dataclass
class DeliveryStats:
    """Audio delivery figures: frames and bytes written to listener sockets, and each
    frame's lag from the arrival of its audio to the write (bounded sample)."""

    frames_written: int = 0
    bytes_written: int = 0
    frames_skipped: int = 0
    listeners_dropped: int = 0
    listeners_peak: int = 0
    lags_s: deque[float] = field(default_factory=lambda: deque(maxlen=LAG_SAMPLES_KEPT))

    def written(self, frames: int, size: int, lags_s: list[float]) -> None:
        self.frames_written += frames
        self.bytes_written += size
        self.lags_s.extend(lags_s)


class AudienceHub:
    def __init__(self, directions: list[tuple[str, str]], options: SubtitleOptions) -> None:
        self.book = CaptionBook(directions, options)
        self.files = CaptionFiles(directions, options)
        self.languages = self.book.languages
        self.channels = {lang: AudioChannel(wake_every_s=WAKE_EVERY_S) for lang in self.languages}
        self.stats = DeliveryStats()
        self.fanouts = {lang: FanOut(ch, lang, self.stats) for lang, ch in self.channels.items()}
        self._encoders = {lang: OpusEncoder() for lang in self.languages}
        self._flushers: dict[str, asyncio.TimerHandle] = {}
        self._last_at: dict[str, float] = {}
        self.partials: dict[str, tuple[int, Caption | None]] = dict.fromkeys(self.languages, (0, None))
        self.source_texts: dict[int, str] = {}
        self.ended = False
        self._wake = asyncio.Event()

    # -- in ---------------------------------------------------------------------------------

    def handle(self, event: TranslatorEvent, at_s: float) -> None:
        if isinstance(event, TranslationAudio):
            self._audio(target_of(event.direction), event.pcm, event.sample_rate_hz, at_s)
            return
        self.files.feed(event)
        caption = self.book.feed(event)
        if caption is None:
            return
        version = self.partials[caption.lang][0] + 1
        if caption.kind == "partial":
            self.partials[caption.lang] = (version, caption)
        else:
            source_text = getattr(event, "source_text", None)
            if isinstance(source_text, str):
                self.source_texts[caption.seq] = source_text
            current = self.partials[caption.lang][1]
            if current is not None and current.utterance == caption.utterance:
                self.partials[caption.lang] = (version, None)
        self._notify()

    def push_original(self, pcm: bytes, sample_rate_hz: int, at_s: float) -> None:
        self._audio(ORIGINAL, pcm, sample_rate_hz, at_s)

    def finish(self) -> None:
        """The run is over: last cues out, readers told."""
        for lang in list(self._flushers):
            self._flush(lang)
        self.files.finish()
        self.ended = True
        self._notify()

    # -- out --------------------------------------------------------------------------------

    async def changed(self, timeout_s: float) -> bool:
        """Wait until captions change (True) or ``timeout_s`` passes (False)."""
        try:
            await asyncio.wait_for(self._wake.wait(), timeout_s)
        except asyncio.TimeoutError:
            return False
        return True

    def _notify(self) -> None:
        wake, self._wake = self._wake, asyncio.Event()
        wake.set()

    def _audio(self, lang: str, pcm: bytes, rate: int, at_s: float) -> None:
        channel = self.channels.get(lang)
        if channel is None:
            return
        self._last_at[lang] = at_s
        for packet in self._encoders[lang].encode(pcm, rate):
            channel.publish(packet, at_s)
        timer = self._flushers.pop(lang, None)
        if timer is not None:
            timer.cancel()
        self._flushers[lang] = asyncio.get_running_loop().call_later(FLUSH_AFTER_S, self._flush, lang)

    def _flush(self, lang: str) -> None:
        self._flushers.pop(lang, None)
        for packet in self._encoders[lang].flush():
            self.channels[lang].publish(packet, self._last_at.get(lang, time.monotonic()))
