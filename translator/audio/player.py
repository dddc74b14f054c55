"""Playback of translated speech, routed by direction to output devices.

Directions that share a device are mixed into one stream; each device has its own
stream. Per direction: a stateful resampler from the service rate to the device rate
and a jitter buffer that waits for ``prebuffer_ms`` before it starts, plays silence on
underrun and counts it (see ``jitter.py`` for when a gap counts as an underrun and for
the drop policy). An optional monitor feed plays the original input on a device and is
ducked while a translation sounds there.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass

import structlog

from translator.audio.chunk import AudioChunk
from translator.audio.devices import DeviceInfo, list_devices, match_device
from translator.audio.errors import AudioDeviceError
from translator.audio.output import MONITOR, DeviceOutput, DeviceStats
from translator.events import TranslationAudio

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PlayerStats:
    devices: tuple[DeviceStats, ...]

    @property
    def underruns(self) -> int:
        return sum(d.underruns for d in self.devices)

    @property
    def lost_ms(self) -> int:
        return sum(d.lost_ms for d in self.devices)

    @property
    def dropped_ms(self) -> int:
        return sum(d.dropped_ms for d in self.devices)


class Player:
    """One per run. Build it with :meth:`open`."""

    def __init__(self, outputs: list[DeviceOutput], routes: dict[str, DeviceOutput]) -> None:
        self._outputs = outputs
        self._routes = routes
        self._unrouted: set[str] = set()
        self._closed = False

    @classmethod
    def open(
        cls,
        routes: Mapping[str, str],
        *,
        prebuffer_ms: int = 100,
        max_buffer_ms: int = 20_000,
        monitor: str | None = None,
        duck_db: float = 12.0,
        block_ms: int = 10,
    ) -> Player | None:
        """Open a stream on every device that ``routes`` (direction → device spec) names.

        ``monitor``: a device spec on which to play the original input (fed with
        :meth:`push_monitor`), ducked by ``duck_db`` while a translation plays there.
        Returns None (after one warning) when no output device exists and every route is
        ``"default"``; an explicitly named device that does not exist raises
        :class:`AudioDeviceError` listing the devices that do.
        """
        specs = dict(routes)
        if monitor is not None:
            specs[MONITOR] = monitor
        explicit = any(s.strip().lower() not in ("", "default") for s in specs.values())
        try:
            devices = list_devices()
        except AudioDeviceError as e:
            if explicit:
                raise
            log.warning("audio_output_unavailable", reason=str(e))
            return None
        if not explicit and not any(d.is_default_output for d in devices):
            log.warning(
                "audio_output_unavailable", reason="no output device; translated speech is not played"
            )
            return None
        chosen: dict[str, DeviceInfo] = {
            key: match_device(devices, spec, "output") for key, spec in specs.items()
        }
        by_device: dict[int, list[str]] = {}
        for key, device in chosen.items():
            by_device.setdefault(device.index, []).append(key)
        outputs: list[DeviceOutput] = []
        route_map: dict[str, DeviceOutput] = {}
        try:
            for index, keys in by_device.items():
                output = DeviceOutput(
                    chosen[keys[0]],
                    keys,
                    prebuffer_ms=prebuffer_ms,
                    max_buffer_ms=max_buffer_ms,
                    duck_db=duck_db,
                    block_ms=block_ms,
                )
                outputs.append(output)
                route_map.update(dict.fromkeys(keys, output))
                log.info(
                    "playback_started",
                    device=output.device.name,
                    index=index,
                    routes=keys,
                    device_rate_hz=output.rate_hz,
                    prebuffer_ms=prebuffer_ms,
                )
        except AudioDeviceError:
            for output in outputs:
                output.close()
            raise
        return cls(outputs, route_map)

    def push(self, event: TranslationAudio) -> None:
        """Queue translated speech for its direction's device; never waits on the device."""
        output = self._routes.get(event.direction)
        if output is None or self._closed:
            if event.direction not in self._unrouted and not self._closed:
                self._unrouted.add(event.direction)
                log.warning("playback_unrouted", direction=event.direction)
            return
        output.push(event.direction, event.pcm, event.sample_rate_hz, event.utterance)

    def push_monitor(self, chunk: AudioChunk, sample_rate_hz: int) -> None:
        """Queue original input for the monitor device (ignored when no monitor was opened)."""
        output = self._routes.get(MONITOR)
        if output is not None and not self._closed:
            output.push(MONITOR, chunk.pcm, sample_rate_hz, "")

    async def drain(self, timeout_s: float = 10.0) -> None:
        """Play out everything queued (without waiting for a prebuffer), then return.

        Logs ``playback_drain_timeout`` and returns if it takes longer than ``timeout_s``.
        """
        for output in self._outputs:
            output.flush(flushing=True)
        deadline = time.monotonic() + timeout_s
        try:
            while any(o.busy() for o in self._outputs):
                if time.monotonic() > deadline:
                    log.warning("playback_drain_timeout", timeout_s=timeout_s)
                    return
                await asyncio.sleep(0.01)
            # What left the jitter buffer is still in the device's own buffer.
            await asyncio.sleep(max((float(o.stream.latency) for o in self._outputs), default=0.0))
        finally:
            for output in self._outputs:
                output.flush(flushing=False)

    @property
    def stats(self) -> PlayerStats:
        return PlayerStats(tuple(o.stats() for o in self._outputs))

    def handoff_ms(self) -> list[float]:
        """Recent push-to-device-buffer delays in ms across devices (a metric, for benchmarks and logs)."""
        return [
            s * 1000.0
            for o in self._outputs
            for key, f in o.feeds.items()
            if key != MONITOR
            for s in list(f.buffer.handoff_s)
        ]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for output in self._outputs:
            output.close()
        stats = self.stats
        log.info(
            "playback_stopped", underruns=stats.underruns, lost_ms=stats.lost_ms, dropped_ms=stats.dropped_ms
        )
