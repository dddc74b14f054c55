"""One output device: its ``OutputStream``, and the feeds mixed into it.

Each direction gets its own stateful resampler (service rate → device rate) and
:class:`~translator.audio.jitter.JitterBuffer` (drop policy there: oldest audio goes
first once ``max_buffer_ms`` is queued). Directions routed to the same device are summed
in the device callback and soft-clipped. An optional monitor feed (the original input)
is mixed in too and ducked while a translation sounds on that device.

``push`` runs on the event loop and never blocks for longer than a short lock that the
callback holds while it copies one block; the callback never waits on the loop.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import structlog

from translator.audio.devices import DeviceInfo, import_sounddevice
from translator.audio.errors import AudioDeviceError
from translator.audio.jitter import Ducker, JitterBuffer, soft_clip
from translator.audio.resample import REALTIME_QUALITY, StreamResampler, from_int16_bytes

log = structlog.get_logger(__name__)

MONITOR = "monitor"
"""The route key of the optional monitor feed (the original input)."""
_MONITOR_PREBUFFER_MS = 40
_MONITOR_MAX_MS = 300
"""The monitor follows the live input closely: beyond this much queued (clock drift between
the two devices) its oldest audio is dropped."""


@dataclass(frozen=True, slots=True)
class DeviceStats:
    device: str
    underruns: int
    lost_ms: int
    dropped_ms: int
    xruns: int
    """Device-level output underflows reported by PortAudio (the callback itself was late)."""


class _Feed:
    """One direction (or the monitor) on one device: resampler + jitter buffer."""

    def __init__(self, device_rate_hz: int, prebuffer_ms: int, max_buffer_ms: int) -> None:
        self.device_rate_hz = device_rate_hz
        self.buffer = JitterBuffer(
            prebuffer_ms * device_rate_hz // 1000, max_buffer_ms * device_rate_hz // 1000
        )
        self.resampler: StreamResampler | None = None
        self.utterance = ""

    def convert(self, pcm: bytes, rate_hz: int, utterance: str) -> list[tuple[np.ndarray[Any, Any], str]]:
        out = []
        if self.resampler is not None and self.resampler.in_rate_hz != rate_hz:
            out.append((self.resampler.flush(), self.utterance))
            self.resampler = None
        if self.resampler is None:
            self.resampler = StreamResampler(rate_hz, self.device_rate_hz, REALTIME_QUALITY)
        self.utterance = utterance
        out.append((self.resampler.process(from_int16_bytes(pcm)), utterance))
        return out

    def flush(self) -> list[tuple[np.ndarray[Any, Any], str]]:
        if self.resampler is None:
            return []
        tail, self.resampler = self.resampler.flush(), None
        return [(tail, self.utterance)]


class DeviceOutput:
    """One open ``OutputStream`` and the feeds mixed into it."""

    def __init__(
        self,
        device: DeviceInfo,
        keys: list[str],
        *,
        prebuffer_ms: int,
        max_buffer_ms: int,
        duck_db: float,
        block_ms: int,
    ) -> None:
        self.device = device
        self.rate_hz = device.default_sample_rate_hz
        self.channels = max(1, min(2, device.max_output_channels))
        self.feeds = {
            k: _Feed(self.rate_hz, _MONITOR_PREBUFFER_MS, _MONITOR_MAX_MS)
            if k == MONITOR
            else _Feed(self.rate_hz, prebuffer_ms, max_buffer_ms)
            for k in keys
        }
        self.ducker = Ducker(self.rate_hz, duck_db) if MONITOR in self.feeds else None
        self.xruns = 0
        self._lock = threading.Lock()
        sd = import_sounddevice()
        try:
            self.stream: Any = sd.OutputStream(
                device=device.index,
                samplerate=self.rate_hz,
                channels=self.channels,
                dtype="float32",
                blocksize=max(1, self.rate_hz * block_ms // 1000),
                latency="low",
                callback=self._callback,
            )
            self.stream.start()
        except (sd.PortAudioError, ValueError) as e:
            raise AudioDeviceError(
                f"cannot open output device {device.index} {device.name!r} at {self.rate_hz} Hz: {e}"
            ) from e

    def push(self, key: str, pcm: bytes, rate_hz: int, utterance: str) -> None:
        feed = self.feeds[key]
        pieces = feed.convert(pcm, rate_hz, utterance)
        now_s = time.monotonic()
        with self._lock:
            for samples, utt in pieces:
                feed.buffer.push(samples, utt, now_s)

    def flush(self, flushing: bool) -> None:
        now_s = time.monotonic()
        for feed in self.feeds.values():
            pieces = feed.flush() if flushing else []
            with self._lock:
                for samples, utt in pieces:
                    feed.buffer.push(samples, utt, now_s)
                feed.buffer.flushing = flushing

    def busy(self) -> bool:
        return any(f.buffer.busy for k, f in self.feeds.items() if k != MONITOR)

    def _callback(self, outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        if status.output_underflow:
            self.xruns += 1
        now_s = time.monotonic()
        mixed = np.zeros(frames, dtype=np.float32)
        with self._lock:
            speaking = False
            for key, feed in self.feeds.items():
                if key != MONITOR:
                    speaking = feed.buffer.read_into(mixed, now_s) or speaking
            monitor = self.feeds.get(MONITOR)
            if monitor is not None and self.ducker is not None:
                original = np.zeros(frames, dtype=np.float32)
                monitor.buffer.read_into(original, now_s)
                mixed += original * self.ducker.gains(frames, speaking)
        outdata[:] = soft_clip(mixed)[:, np.newaxis]

    def stats(self) -> DeviceStats:
        buffers = [f.buffer for k, f in self.feeds.items() if k != MONITOR]
        per_ms = 1000 / self.rate_hz
        return DeviceStats(
            device=f"{self.device.index} {self.device.name}",
            underruns=sum(b.underruns for b in buffers),
            lost_ms=round(sum(b.lost_frames for b in buffers) * per_ms),
            dropped_ms=round(sum(f.buffer.dropped_frames for f in self.feeds.values()) * per_ms),
            xruns=self.xruns,
        )

    def close(self) -> None:
        try:
            self.stream.stop()
            self.stream.close()
        except Exception as e:  # noqa: BLE001 - closing must not fail the shutdown
            log.warning("playback_close_failed", device=self.device.name, error=str(e))
