"""Microphone capture as an :class:`AudioSource`.

The PortAudio callback only copies the block and hands it to the event loop with
``loop.call_soon_threadsafe``; it never waits and allocates one block-sized array.
On the loop the block is downmixed, resampled (one stateful stream for the whole run)
and cut into chunks, which wait in a :class:`DropOldestAudioQueue` for the consumer:
a consumer that falls behind by more than ``max_queue_ms`` loses the oldest audio
(counted in ``dropped_ms``) and the device keeps running.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from typing import Any

import numpy as np
import structlog

from translator.audio.chunk import AudioChunk
from translator.audio.devices import DeviceInfo, import_sounddevice
from translator.audio.errors import AudioDeviceError
from translator.audio.queue import DropOldestAudioQueue
from translator.audio.resample import REALTIME_QUALITY, Conditioner

log = structlog.get_logger(__name__)

_LATENCY_WINDOW = 2000


class MicSource:
    """Runs from the first ``chunks()`` step until ``aclose()``."""

    def __init__(
        self,
        device: DeviceInfo,
        *,
        sample_rate_hz: int = 24_000,
        chunk_ms: int = 20,
        block_ms: int = 10,
        channels: int | None = None,
        device_rate_hz: int | None = None,
        max_queue_ms: int = 2000,
        pulse_source: str | None = None,
    ) -> None:
        self.device = device
        self.pulse_source = pulse_source
        """A PulseAudio source to record from through the ``pulse`` device (``loopback.py``)."""
        self.sample_rate_hz = sample_rate_hz
        self.chunk_ms = chunk_ms
        self.device_rate_hz = device_rate_hz or device.default_sample_rate_hz
        self.channels = channels or max(1, min(2, device.max_input_channels))
        self.block_frames = max(1, self.device_rate_hz * block_ms // 1000)
        self.overflows = 0
        self.handoff_ms: deque[float] = deque(maxlen=_LATENCY_WINDOW)
        """Recent delays from the callback that delivered a chunk's last input sample to the chunk
        being handed out (a metric; the newest at the right)."""
        self._queue = DropOldestAudioQueue(max_queue_ms, sample_rate_hz, name=f"mic:{device.name}")
        self._conditioner = Conditioner(self.device_rate_hz, sample_rate_hz, chunk_ms, REALTIME_QUALITY)
        self._in_frames = 0
        self._blocks: deque[tuple[int, float]] = deque(maxlen=1024)
        """(input frames up to the end of a block, its callback time): which callback completed a chunk."""
        self._sent_samples = 0
        self._born: deque[tuple[int, float]] = deque(maxlen=max_queue_ms // max(1, chunk_ms) + 64)
        self._stream: Any = None
        self._failure: str | None = None
        self._closed = False

    @property
    def dropped_ms(self) -> int:
        return self._queue.dropped_ms

    async def chunks(self) -> AsyncIterator[AudioChunk]:
        if self._stream is None and not self._closed:
            self._open(asyncio.get_running_loop())
        async for chunk in self._queue:
            while self._born and self._born[0][0] < chunk.start_ms:
                self._born.popleft()  # chunks the queue dropped
            if self._born and self._born[0][0] == chunk.start_ms:
                self.handoff_ms.append((time.monotonic() - self._born.popleft()[1]) * 1000.0)
            yield chunk
        if self._failure is not None:
            raise AudioDeviceError(self._failure)

    def _open(self, loop: asyncio.AbstractEventLoop) -> None:
        sd = import_sounddevice()

        def callback(indata: Any, frames: int, time_info: Any, status: Any) -> None:
            try:
                loop.call_soon_threadsafe(self._on_block, indata.copy(), time.monotonic(), bool(status))
            except RuntimeError:  # the loop is closed: the run is over
                pass

        def finished() -> None:
            try:
                loop.call_soon_threadsafe(self._on_finished)
            except RuntimeError:
                pass

        try:
            with _pulse_source(self.pulse_source):
                self._stream = sd.InputStream(
                    device=self.device.index,
                    samplerate=self.device_rate_hz,
                    channels=self.channels,
                    dtype="float32",
                    blocksize=self.block_frames,
                    latency="low",
                    callback=callback,
                    finished_callback=finished,
                )
                self._stream.start()
        except (sd.PortAudioError, ValueError) as e:
            self._stream = None
            raise AudioDeviceError(
                f"cannot open input device {self.device.index} {self.device.name!r} at "
                f"{self.device_rate_hz} Hz, {self.channels} ch: {e}"
            ) from e
        log.info(
            "capture_started",
            device=self.device.name,
            index=self.device.index,
            pulse_source=self.pulse_source,
            device_rate_hz=self.device_rate_hz,
            channels=self.channels,
            sample_rate_hz=self.sample_rate_hz,
        )

    def _on_block(self, block: np.ndarray[Any, Any], callback_s: float, flagged: bool) -> None:
        if self._closed:
            return
        if flagged:
            self.overflows += 1
            if self.overflows == 1 or self.overflows % 100 == 0:
                log.warning("capture_overflow", device=self.device.name, overflows=self.overflows)
        self._in_frames += len(block)
        self._blocks.append((self._in_frames, callback_s))
        for piece in self._conditioner.push(block):
            start_ms = self._sent_samples * 1000 // self.sample_rate_hz
            self._sent_samples += piece.size
            self._born.append((start_ms, self._captured_s(self._sent_samples)))
            self._queue.put_nowait(AudioChunk(piece.astype("<i2").tobytes(), start_ms))

    def _captured_s(self, out_samples: int) -> float:
        """Callback time of the block holding the input behind output sample ``out_samples``: the
        hand-off delay then includes the time audio waited in the resampler and re-chunker."""
        needed = out_samples * self.device_rate_hz // self.sample_rate_hz
        while len(self._blocks) > 1 and self._blocks[0][0] < needed:
            self._blocks.popleft()
        return self._blocks[0][1]

    def _on_finished(self) -> None:
        if not self._closed:
            self._failure = f"input device {self.device.index} {self.device.name!r} stopped delivering audio"
            log.error("capture_stopped", device=self.device.name)
            self._queue.close()

    async def aclose(self) -> None:
        self._closed = True
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception as e:  # noqa: BLE001 - closing must not fail the shutdown
                log.warning("capture_close_failed", device=self.device.name, error=str(e))
        self._queue.close()


@contextlib.contextmanager
def _pulse_source(name: str | None) -> Iterator[None]:
    """``$PULSE_SOURCE`` set to ``name`` while a stream opens (libpulse reads it then), restored after."""
    if name is None:
        yield
        return
    before = os.environ.get("PULSE_SOURCE")
    os.environ["PULSE_SOURCE"] = name
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PULSE_SOURCE", None)
        else:
            os.environ["PULSE_SOURCE"] = before
