"""Video files, compressed audio and network streams through FFmpeg (PyAV) as an :class:`AudioSource`.

One audio stream of the container (the first, or ``audio_stream``: its index among the
audio streams, as in ffmpeg's ``-map 0:a:N``) is decoded, converted to planar float by
PyAV and averaged to mono (not swresample's downmix, which adds 3 dB and would clip),
placed on the container's timeline (:mod:`timeline`: audio that starts at 2.5 s
starts at 2.5 s of the input, gaps are filled) and resampled to ``sample_rate_hz`` with
the same stateful soxr stream as every other input.

Decoding runs in a thread (``av-reader``), so a slow network read never blocks the event
loop (opening, bounded by ``timeout_s``, happens at start-up, before any session connects);
the thread hands batches of chunks to the loop:

- **finite** input (a file, or a URL whose container reports a duration: a file behind
  HTTP, a finished HLS playlist): the thread waits while the loop holds ``_AHEAD_BATCHES``
  batches (backpressure, nothing dropped), and the chunks are paced by the clock unless
  ``realtime=False`` (``--fast``), exactly as :class:`FileSource` does;
- **live** input (a URL with no duration: a stream, a live playlist, Icecast): it arrives
  at its own pace and is handed out as it comes through a :class:`DropOldestAudioQueue`
  of ``live_queue_ms`` (a consumer that falls behind loses the oldest audio, counted and
  logged). A live source cannot be read ahead, so ``realtime=False`` is refused. No data
  for ``stall_s`` is logged (``input_stalled``), and so is its return (``input_resumed``)
  and FFmpeg's own reconnects (``input_reconnecting``). Timestamps keep the chunks on the
  stream's own timeline; a stream that ends ends the input, a stream cut by an error is
  logged as ``input_stream_cut`` and ends the input too (what was heard is translated).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import av
import numpy as np
import structlog

from translator.audio.av_open import describe_streams, open_container, reason
from translator.audio.chunk import AudioChunk
from translator.audio.errors import AudioFileError
from translator.audio.queue import AudioQueueClosed, DropOldestAudioQueue
from translator.audio.resample import REALTIME_QUALITY, Conditioner, Float32Array, Int16Array
from translator.audio.timeline import Timeline
from translator.audio.urls import source_name

log = structlog.get_logger(__name__)

_BATCH_MS = 500
_AHEAD_BATCHES = 8
_LIVE_MAX_GAP_S = 10.0


class AvSource:
    """One pass over a container or stream; ``chunks()`` may be iterated once."""

    def __init__(
        self,
        spec: str | Path,
        *,
        sample_rate_hz: int = 24_000,
        chunk_ms: int = 20,
        realtime: bool = True,
        trailing_silence_ms: int = 0,
        audio_stream: int | None = None,
        timeout_s: float = 10.0,
        live_queue_ms: int = 5000,
        stall_s: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if sample_rate_hz <= 0 or chunk_ms <= 0 or trailing_silence_ms < 0:
            raise ValueError("sample_rate_hz and chunk_ms must be positive, trailing_silence_ms >= 0")
        self.name = source_name(str(spec))
        self.sample_rate_hz = sample_rate_hz
        self.chunk_ms = chunk_ms
        self.realtime = realtime
        self.trailing_silence_ms = trailing_silence_ms
        self.stall_s = stall_s
        self._clock = clock
        self._sleep = sleep
        self._container = open_container(str(spec), timeout_s)
        try:
            self._stream = self._pick_stream(audio_stream)
            self.live = self._container.duration is None and isinstance(spec, str) and "://" in spec
            if self.live and not realtime:
                raise AudioFileError(
                    f"--fast needs a finite input, and {self.name} is a live stream (its container "
                    "reports no duration); run it in real time"
                )
        except BaseException:
            self._container.close()
            raise
        self.native_rate_hz = int(self._stream.codec_context.sample_rate or 0) or 48_000
        self.gap_ms = 0
        """Silence inserted where the stream's timestamps skip ahead (or its audio starts late)."""
        self.decode_errors = 0
        self._live_queue = DropOldestAudioQueue(live_queue_ms, sample_rate_hz, name=f"input:{self.name}")
        self._batches: queue.Queue[list[AudioChunk] | BaseException | None] = queue.Queue(_AHEAD_BATCHES)
        """Finite input, thread → loop: the thread blocks while it is full (no loop round trip per batch)."""
        self._ready = asyncio.Event()
        self._waiting = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = False
        log.info(
            "input_opened",
            input=self.name,
            live=self.live,
            codec=self._stream.codec_context.name,
            rate_hz=self.native_rate_hz,
            channels=self._stream.codec_context.channels,
            start_s=_seconds(self._container.start_time),
            duration_s=_seconds(self._container.duration),
        )

    @property
    def dropped_ms(self) -> int:
        return self._live_queue.dropped_ms

    def _pick_stream(self, index: int | None) -> Any:
        audio = list(self._container.streams.audio)
        if not audio:
            raise AudioFileError(f"{self.name} has no audio stream ({describe_streams(self._container)})")
        if index is None:
            return audio[0]
        if not 0 <= index < len(audio):
            raise AudioFileError(
                f"--audio-stream {index}: {self.name} has {len(audio)} audio stream"
                f"{'s' if len(audio) != 1 else ''} (0..{len(audio) - 1})"
            )
        return audio[index]

    # -- the loop side ------------------------------------------------------------------------

    async def chunks(self) -> AsyncIterator[AudioChunk]:
        if self._started:
            raise RuntimeError("AvSource.chunks() can be iterated only once")
        self._started = True
        loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._read, args=(loop,), name="av-reader", daemon=True)
        self._thread.start()
        try:
            if self.live:
                async for chunk in self._live_chunks():
                    yield chunk
            else:
                async for chunk in self._paced_chunks():
                    yield chunk
        finally:
            self._stop.set()

    async def _paced_chunks(self) -> AsyncIterator[AudioChunk]:
        t0 = self._clock()
        sent_samples = 0
        while True:
            try:
                item = self._batches.get_nowait()
            except queue.Empty:
                self._ready.clear()
                self._waiting = True  # the thread wakes the loop only when it waits
                if self._batches.empty():
                    await self._ready.wait()
                self._waiting = False
                continue
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            for chunk in item:
                if self.realtime:
                    due = t0 + (sent_samples + len(chunk.pcm) // 2) / self.sample_rate_hz
                    wait_s = due - self._clock()
                    if wait_s > 0:
                        await self._sleep(wait_s)
                sent_samples += len(chunk.pcm) // 2
                yield chunk

    async def _live_chunks(self) -> AsyncIterator[AudioChunk]:
        stalled_since: float | None = None
        while True:
            try:
                chunk = await asyncio.wait_for(self._live_queue.get(), self.stall_s)
            except asyncio.TimeoutError:
                if stalled_since is None:
                    stalled_since = self._clock() - self.stall_s
                    log.warning("input_stalled", input=self.name, no_data_s=self.stall_s)
                continue
            except AudioQueueClosed:  # the stream ended (or was cut, logged by the reader)
                return
            if stalled_since is not None:
                log.info("input_resumed", input=self.name, stalled_s=round(self._clock() - stalled_since, 1))
                stalled_since = None
            yield chunk

    async def aclose(self) -> None:
        """Stop early; the reader thread ends at its next packet (or read timeout)."""
        self._stop.set()
        self._live_queue.close()
        if not self._started:
            self._container.close()

    # -- the reader thread ---------------------------------------------------------------------

    def _read(self, loop: asyncio.AbstractEventLoop) -> None:
        end: BaseException | None = None
        try:
            self._decode_all(loop)
        except AudioFileError as e:
            end = e
        except Exception as e:  # noqa: BLE001 - any demuxer failure becomes one line
            end = AudioFileError(f"cannot read {self.name}: {reason(e)}")
        finally:
            with contextlib.suppress(Exception):
                self._container.close()
        if self.live:
            if end is not None:
                log.error("input_stream_cut", input=self.name, error=str(end))
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._live_queue.close)
        else:
            self._hand(loop, end)

    def _decode_all(self, loop: asyncio.AbstractEventLoop) -> None:
        container, stream = self._container, self._stream
        start = container.start_time
        timeline = Timeline(
            self.native_rate_hz,
            None if start is None else start / av.time_base,
            max_gap_s=_LIVE_MAX_GAP_S if self.live else None,
        )
        to_float = av.AudioResampler(format="fltp", rate=self.native_rate_hz)
        quality = REALTIME_QUALITY if self.live else "HQ"
        conditioner = Conditioner(self.native_rate_hz, self.sample_rate_hz, self.chunk_ms, quality)
        batch_samples = self.sample_rate_hz * _BATCH_MS // 1000
        batch: list[Int16Array] = []
        out_samples = 0  # output samples handed over so far

        def flush(pieces: list[Int16Array], force: bool = False) -> None:
            nonlocal out_samples
            batch.extend(pieces)
            if batch and (force or sum(p.size for p in batch) >= batch_samples):
                chunks = []
                for p in batch:
                    chunks.append(
                        AudioChunk(p.astype("<i2").tobytes(), out_samples * 1000 // self.sample_rate_hz)
                    )
                    out_samples += p.size
                batch.clear()
                self._hand(loop, chunks)

        for packet in container.demux(stream):
            if self._stop.is_set():
                return
            try:
                frames = packet.decode()
            except av.error.FFmpegError as e:
                self._decode_error(e)
                continue
            for frame in frames:
                for planar in to_float.resample(frame):
                    flush(conditioner.push(self._placed(timeline, frame, _mono(planar))))
        for planar in to_float.resample(None):
            flush(conditioner.push(_mono(planar)))
        silence = np.zeros(self.native_rate_hz * self.trailing_silence_ms // 1000, dtype=np.float32)
        flush(conditioner.push(silence) + conditioner.finish(), force=True)
        self.gap_ms = timeline.gap_samples * 1000 // self.native_rate_hz

    def _placed(self, timeline: Timeline, frame: Any, samples: Float32Array) -> Float32Array:
        placement = timeline.place(frame.time, samples.size)
        if placement.jump_s:
            log.warning("input_discontinuity", input=self.name, jump_s=round(placement.jump_s, 3))
        if placement.pad_samples and self.live:
            log.warning(
                "input_gap_filled", input=self.name, gap_ms=placement.pad_samples * 1000 // timeline.rate_hz
            )
        if placement.skip_samples:
            samples = samples[placement.skip_samples :]
        if placement.pad_samples:
            samples = np.concatenate((np.zeros(placement.pad_samples, dtype=np.float32), samples))
        return samples

    def _decode_error(self, error: BaseException) -> None:
        self.decode_errors += 1
        if self.decode_errors == 1 or self.decode_errors % 100 == 0:
            log.warning("input_decode_error", input=self.name, errors=self.decode_errors, error=reason(error))

    def _hand(self, loop: asyncio.AbstractEventLoop, item: list[AudioChunk] | BaseException | None) -> None:
        """Give the loop a batch: live, at once (the queue drops the oldest); finite, waiting for room."""
        if self.live:
            if isinstance(item, list):
                for chunk in item:
                    with contextlib.suppress(RuntimeError):
                        loop.call_soon_threadsafe(self._live_queue.put_nowait, chunk)
            return
        while not self._stop.is_set():
            try:
                self._batches.put(item, timeout=0.5)
                break
            except queue.Full:
                continue
        if self._waiting:
            try:
                loop.call_soon_threadsafe(self._ready.set)
            except RuntimeError:  # the loop is closed: the run is over
                self._stop.set()


def _mono(planar: Any) -> Float32Array:
    """A planar float frame (channels x samples) → mono, the mean of its channels."""
    data = planar.to_ndarray()
    mono: Float32Array = data[0] if data.shape[0] == 1 else data.mean(axis=0, dtype=np.float32)
    return np.ascontiguousarray(mono, dtype=np.float32)


def _seconds(value: int | None) -> float | None:
    return None if value is None else round(value / av.time_base, 3)
