"""Translated speech to a WAV file, placed on the input timeline.

Each utterance starts at its ``TranslationAudio.at_ms`` (silence is written up to it)
unless the previous translation is still running, in which case it follows right after:
translations never overlap, so the file is what one listener would have heard without
any cut. Utterances are written one at a time, in the order their first chunk arrives.
Chunks of another utterance that arrive meanwhile (a second direction translating at
the same time) are held until the one being written is over: when its direction starts
a new utterance, when it has had no chunk for ``idle_s``, or at ``close()``.

The header is rewritten every ``flush_every_s`` (see ``wav_writer.py``), so a crash
leaves a valid file.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from translator.audio.resample import Float32Array, StreamResampler, from_int16_bytes, to_int16
from translator.audio.wav_writer import WavWriter
from translator.events import TranslationAudio

_SILENCE_BLOCK = 1 << 16

Key = tuple[str, str]


@dataclass
class _Held:
    at_ms: int | None
    parts: list[Float32Array] = field(default_factory=list)


class WavSink:
    def __init__(
        self,
        path: Path,
        sample_rate_hz: int = 24_000,
        *,
        idle_s: float = 1.5,
        flush_every_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sample_rate_hz = sample_rate_hz
        self._writer = WavWriter(path, sample_rate_hz)
        self._idle_s = idle_s
        self._flush_every_s = flush_every_s
        self._clock = clock
        self._resamplers: dict[str, StreamResampler] = {}
        self._active: Key | None = None
        self._active_seen_s = 0.0
        self._held: OrderedDict[Key, _Held] = OrderedDict()
        self._flushed_s = clock()
        self._closed = False

    @property
    def written_ms(self) -> int:
        return self._writer.frames * 1000 // self.sample_rate_hz

    def push(self, event: TranslationAudio) -> None:
        if self._closed:
            return
        samples = self._resample(event.direction, event.pcm, event.sample_rate_hz)
        key = (event.direction, event.utterance)
        now = self._clock()
        if key == self._active:
            self._write(samples)
            self._active_seen_s = now
        else:
            held = self._held.setdefault(key, _Held(event.at_ms))
            if held.at_ms is None:
                held.at_ms = event.at_ms
            held.parts.append(samples)
            if (
                self._active is None
                or self._active[0] == event.direction
                or now - self._active_seen_s > self._idle_s
            ):
                self._advance(now)
        if now - self._flushed_s >= self._flush_every_s:
            self._writer.flush()
            self._flushed_s = now

    def _resample(self, direction: str, pcm: bytes, rate_hz: int) -> Float32Array:
        resampler = self._resamplers.get(direction)
        if resampler is None or resampler.in_rate_hz != rate_hz:
            resampler = self._resamplers[direction] = StreamResampler(rate_hz, self.sample_rate_hz)
        return resampler.process(from_int16_bytes(pcm))

    def _advance(self, now: float) -> None:
        """Start the oldest held utterance; go on while the one started is already over."""
        while self._held:
            key, held = self._held.popitem(last=False)
            self._place(held.at_ms)
            for part in held.parts:
                self._write(part)
            self._active, self._active_seen_s = key, now
            if not any(other[0] == key[0] for other in self._held):
                return

    def _place(self, at_ms: int | None) -> None:
        if at_ms is None:
            return
        gap = at_ms * self.sample_rate_hz // 1000 - self._writer.frames
        while gap > 0:
            block = min(gap, _SILENCE_BLOCK)
            self._writer.write(np.zeros(block, dtype=np.int16))
            gap -= block

    def _write(self, samples: Float32Array) -> None:
        self._writer.write(to_int16(samples))

    def close(self) -> None:
        """Write what is held, finish the header and close the file (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            tails = {d: r.flush() for d, r in self._resamplers.items()}
            if self._active is not None:
                self._write(tails.pop(self._active[0], np.zeros(0, dtype=np.float32)))
            while self._held:
                self._advance(self._clock())
                if (
                    self._active is not None
                    and self._active[0] in tails
                    and not any(k[0] == self._active[0] for k in self._held)
                ):
                    self._write(tails.pop(self._active[0]))
        finally:
            self._writer.close()
