"""The audience server as an output of the run: its own thread and event loop.

The run's event loop only hands events over (``call_soon_threadsafe``, a few
microseconds each); encoding, fan-out and every socket live on the server's loop, so
a thousand listeners, or one stuck phone, cannot delay the translation::

    run loop: dispatch ─▶ AudienceServer.handle ──call_soon_threadsafe──▶ server loop: hub ─▶ listeners
    input pipeline tap ─▶ AudienceServer.push_original ─────────────────▶ (original audio)

It holds no translation state: take it out and nothing upstream changes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from typing import Any

import structlog
from aiohttp import web

from translator.errors import UsageError
from translator.events import TranslationAudio, TranslatorEvent
from translator.serve.banner import print_banner
from translator.serve.broadcast import Broadcaster
from translator.serve.hub import AudienceHub
from translator.serve.options import ServeOptions
from translator.serve.routes import AudienceApp
from translator.serve.tls import ssl_context
from translator.subtitles.core import target_of
from translator.subtitles.options import SubtitleOptions

log = structlog.get_logger(__name__)

_START_TIMEOUT_S = 10.0
_CLOSE_TIMEOUT_S = 30.0
"""The whole close: at most 15 s of queued broadcast speech, then sockets, with room to spare.
Past it the run ends anyway (a stuck peer never holds the run open)."""


class AudienceServer:
    def __init__(
        self,
        directions: list[tuple[str, str]],
        options: ServeOptions,
        subtitle_options: SubtitleOptions,
        title: str = "",
    ) -> None:
        self.options = options
        self._directions = directions
        self._subtitle_options = subtitle_options
        self._title = title
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="serve", daemon=True)
        self._runner: web.AppRunner | None = None
        self.hub: AudienceHub | None = None
        self.app: AudienceApp | None = None
        self.port = options.port
        self._closed = False
        self.broadcaster: Broadcaster | None = None
        if options.broadcast is not None:  # parsed now: a bad URL is a usage error before anything starts
            self.broadcaster = Broadcaster(options.broadcast, list(dict.fromkeys(t for _, t in directions)))

    # -- life -------------------------------------------------------------------------------

    def start(self) -> None:
        """Bind and serve; ``UsageError`` (exit 2) when the address cannot be used."""
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        try:
            future.result(_START_TIMEOUT_S)
        except OSError as e:
            self._stop_loop()
            where = f"{self.options.host}:{self.options.port}"
            raise UsageError(f"--serve {where}: cannot listen there: {e.strerror or e}") from None
        except UsageError:
            self._stop_loop()
            raise
        except concurrent.futures.TimeoutError:
            self._stop_loop()
            raise UsageError("--serve: the server did not start") from None
        if self.options.listening:
            log.info("serve_listening", host=self.options.host, port=self.port)
            print_banner(self.options, self.port)

    async def _start(self) -> None:
        self.hub = AudienceHub(self._directions, self._subtitle_options)
        if self.broadcaster is not None:
            self.broadcaster.start()
        self.app = AudienceApp(self.hub, self.options, self._title)
        runner = web.AppRunner(self.app.app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        self._runner = runner
        if not self.options.listening:
            return
        context = ssl_context(self.options.tls) if self.options.tls else None
        site = web.TCPSite(
            runner, self.options.host, self.options.port, reuse_address=True, ssl_context=context
        )
        try:
            await site.start()
        except BaseException:
            self._runner = None
            await runner.cleanup()
            raise
        server = site._server  # the bound port, when 0 was asked for
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]

    async def aclose(self) -> None:
        """The run is over: final cues out, caption readers told, sockets closed, thread joined."""
        if self._closed:
            return
        self._closed = True
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        try:
            await asyncio.wait_for(asyncio.wrap_future(future), _CLOSE_TIMEOUT_S)
        except asyncio.TimeoutError:
            log.warning("serve_close_timeout", seconds=_CLOSE_TIMEOUT_S)
        except Exception:  # noqa: BLE001, S110 - a failing close must not fail the finished run
            pass
        self._stop_loop()
        await asyncio.to_thread(self._thread.join, 5.0)
        if self.hub is not None:
            s = self.hub.stats
            log.info(
                "serve_closed",
                listeners_peak=s.listeners_peak,
                frames_written=s.frames_written,
                frames_skipped=s.frames_skipped,
                listeners_dropped=s.listeners_dropped,
            )

    async def _shutdown(self) -> None:
        if self.hub is not None:
            self.hub.finish()
        if self.broadcaster is not None:
            await self.broadcaster.aclose()
        await asyncio.sleep(0.05)  # let caption readers write the end
        if self.app is not None:
            await self.app.close_sockets()
        if self._runner is not None:
            await self._runner.cleanup()

    def _stop_loop(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)

    # -- in (called on the run's loop) ------------------------------------------------------

    def handle(self, event: TranslatorEvent) -> None:
        if self.hub is not None and not self._closed:
            self._loop.call_soon_threadsafe(self._on_event, event, time.monotonic())

    def _on_event(self, event: TranslatorEvent, at_s: float) -> None:
        assert self.hub is not None
        self.hub.handle(event, at_s)
        if self.broadcaster is not None and isinstance(event, TranslationAudio):
            self.broadcaster.push(target_of(event.direction), event.pcm, event.sample_rate_hz)

    def push_original(self, chunk: Any, sample_rate_hz: int) -> None:
        """The input pipeline's tap: the source audio, for listeners who pick "original"."""
        if self.hub is not None and not self._closed:
            self._loop.call_soon_threadsafe(
                self.hub.push_original, chunk.pcm, sample_rate_hz, time.monotonic()
            )
