"""The broadcast feed: each target language published as Ogg/Opus to an Icecast server, which
does the fan-out (and relays) for audiences larger than one process serves.

``icecast://user:pass@host:port/mount-{target}`` names one mount per target. Each feed muxes
Ogg/Opus with PyAV into memory and streams it with an HTTP ``PUT`` (Icecast 2.4+, what ffmpeg
sends). The feed is continuous, paced by the wall clock: translated speech plays out at real
time, silence fills the pauses, as a radio listener expects.

Drop policy: at most ``MAX_BACKLOG_S`` of speech waits to play out; beyond that the oldest is
dropped and counted. A failed connection is retried every ``RETRY_S`` with a fresh Ogg stream.
The password is registered as a secret: it is never logged, printed or shown in an error.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from dataclasses import dataclass
from fractions import Fraction
from urllib.parse import unquote, urlsplit

import av
import numpy as np
import structlog

from translator.audio.resample import REALTIME_QUALITY, StreamResampler, from_int16_bytes, to_int16
from translator.errors import UsageError
from translator.logs import register_secret

log = structlog.get_logger(__name__)

RATE_HZ = 48_000
TICK_S = 0.1
MAX_BACKLOG_S = 30.0
RETRY_S = 2.0
CLOSE_S = 2.0


@dataclass(frozen=True)
class IcecastTarget:
    host: str
    port: int
    mount: str
    user: str
    password: str

    @property
    def shown(self) -> str:
        """For logs: no credentials."""
        return f"icecast://{self.host}:{self.port}{self.mount}"


def parse_broadcast(url: str, targets: list[str]) -> dict[str, IcecastTarget]:
    """One Icecast mount per target language; ``UsageError`` for anything else."""
    parts = urlsplit(url)
    if parts.password:
        register_secret(unquote(parts.password))
    try:
        port_text = f":{parts.port}" if parts.port else ""
    except ValueError:
        port_text = ":?"
    shown = f"{parts.scheme}://{parts.hostname or ''}{port_text}{parts.path}"
    if parts.scheme != "icecast" or not parts.hostname or not parts.path.strip("/"):
        raise UsageError(f"--broadcast {shown}: expected icecast://user:pass@host:port/mount-{{target}}")
    if len(targets) > 1 and "{target}" not in parts.path:
        raise UsageError(f"--broadcast {shown}: several targets need {{target}} in the mount")
    try:
        port = parts.port or 8000
    except ValueError:
        raise UsageError(f"--broadcast {shown}: the port is not a number") from None
    return {
        t: IcecastTarget(
            parts.hostname,
            port,
            parts.path.replace("{target}", t),
            unquote(parts.username or "source"),
            unquote(parts.password or ""),
        )
        for t in targets
    }


class _OggWriter:
    """Collects what the muxer writes (a file-like sink for PyAV)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, b: bytes) -> int:
        self.data += b
        return len(b)

    def take(self) -> bytes:
        out, self.data = bytes(self.data), bytearray()
        return out


class _OggOpus:
    def __init__(self) -> None:
        self._sink = _OggWriter()
        self._container = av.open(self._sink, mode="w", format="ogg")
        stream = self._container.add_stream("libopus", rate=RATE_HZ)
        assert isinstance(stream, av.AudioStream)
        ctx = stream.codec_context
        ctx.layout = "mono"
        ctx.format = "s16"
        ctx.bit_rate = 32_000
        ctx.options = {"application": "voip", "frame_duration": "20"}
        stream.time_base = Fraction(1, RATE_HZ)
        self._stream = stream
        self._pts = 0

    def encode(self, samples: np.ndarray) -> bytes:
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE_HZ
        frame.pts = self._pts
        frame.time_base = Fraction(1, RATE_HZ)
        self._pts += samples.size
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        return self._sink.take()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._container.close()


class IcecastFeed:
    """One target language to one mount, in real time."""

    def __init__(self, target: IcecastTarget) -> None:
        self.target = target
        self._pending = np.zeros(0, dtype=np.int16)
        self._resamplers: dict[int, StreamResampler] = {}
        self.dropped_s = 0.0
        self.sent_bytes = 0
        self._task: asyncio.Task[None] | None = None

    def push(self, pcm: bytes, sample_rate_hz: int) -> None:
        resampler = self._resamplers.setdefault(
            sample_rate_hz, StreamResampler(sample_rate_hz, RATE_HZ, REALTIME_QUALITY)
        )
        samples = to_int16(resampler.process(from_int16_bytes(pcm)))
        self._pending = np.concatenate((self._pending, samples))
        excess = self._pending.size - int(MAX_BACKLOG_S * RATE_HZ)
        if excess > 0:
            self._pending = self._pending[excess:]
            self.dropped_s += excess / RATE_HZ

    @property
    def queued_s(self) -> float:
        return self._pending.size / RATE_HZ

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    def _next_block(self, samples: int) -> np.ndarray:
        block = np.zeros(samples, dtype=np.int16)
        n = min(samples, self._pending.size)
        block[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return block

    async def _run(self) -> None:
        while True:
            try:
                await self._stream_once()
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("broadcast_failed", mount=self.target.shown, error=e.__class__.__name__)
            await asyncio.sleep(RETRY_S)

    async def _stream_once(self) -> None:
        t = self.target
        reader, writer = await asyncio.open_connection(t.host, t.port)
        ogg = _OggOpus()
        try:
            auth = base64.b64encode(f"{t.user}:{t.password}".encode()).decode("ascii")
            writer.write(
                (
                    f"PUT {t.mount} HTTP/1.1\r\nHost: {t.host}:{t.port}\r\nAuthorization: Basic {auth}\r\n"
                    "User-Agent: translator\r\nContent-Type: audio/ogg\r\nIce-Public: 0\r\n"
                    "Ice-Name: translator\r\nExpect: 100-continue\r\n\r\n"
                ).encode("ascii")
            )
            await writer.drain()
            status = (await asyncio.wait_for(reader.readline(), 10)).decode("latin-1").split()
            if len(status) < 2 or status[1] not in ("100", "200"):
                code = status[1] if len(status) > 1 else "no answer"
                log.warning("broadcast_refused", mount=t.shown, status=code)
                return
            log.info("broadcast_started", mount=t.shown)
            block = int(TICK_S * RATE_HZ)
            next_at = time.monotonic()
            while True:
                data = ogg.encode(self._next_block(block))
                if data:
                    writer.write(data)
                    self.sent_bytes += len(data)
                    await asyncio.wait_for(writer.drain(), 10)
                next_at += TICK_S
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        finally:
            ogg.close()
            writer.close()
            try:  # a server that stopped reading would hold a graceful close for ever
                await asyncio.wait_for(writer.wait_closed(), CLOSE_S)
            except Exception:  # noqa: BLE001 - timeout or a broken socket: drop it
                writer.transport.abort()


class Broadcaster:
    """All feeds of a run (on the audience server's loop)."""

    def __init__(self, url: str, targets: list[str]) -> None:
        self.feeds = {lang: IcecastFeed(t) for lang, t in parse_broadcast(url, targets).items()}

    def start(self) -> None:
        for feed in self.feeds.values():
            feed.start()

    def push(self, lang: str, pcm: bytes, sample_rate_hz: int) -> None:
        feed = self.feeds.get(lang)
        if feed is not None:
            feed.push(pcm, sample_rate_hz)

    async def aclose(self) -> None:
        # let the speech already queued play out (at most 15 s), then stop
        queued_s = max((f.queued_s for f in self.feeds.values()), default=0.0)
        await asyncio.sleep(min(15.0, queued_s + 2 * TICK_S))
        for feed in self.feeds.values():
            await feed.aclose()
