"""The audience server's HTTP face (aiohttp): pages, caption events, captions files, audio sockets.

Routes (every one behind the access code when one is set, ``?code=...``):

    /                       the listener page          /overlay     the caption overlay
    /info.json              languages and title        /qr, /qr.svg the listener URL as a QR code
    /events[?lang=a,b]      Server-Sent Events of caption messages (JSON), finals numbered
    /captions/{lang}.vtt    the subtitles so far (also .srt)
    /audio/{lang}           WebSocket: Opus packets of that language from the live point

Listeners are read-only: whatever a socket sends is read and thrown away (at most 1 KiB
a message). Nothing here knows the service endpoint or key; the pages are static files.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable
from html import escape
from pathlib import Path

import structlog
from aiohttp import WSMsgType, web

from translator.serve.hub import AudienceHub
from translator.serve.options import ServeOptions
from translator.serve.qr import qr_svg

log = structlog.get_logger(__name__)

STATIC = Path(__file__).parent / "static"
SSE_PING_S = 15.0
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class AudienceApp:
    def __init__(self, hub: AudienceHub, options: ServeOptions, title: str) -> None:
        self.hub = hub
        self.options = options
        self.title = title
        self.audio_listeners = 0
        self.caption_readers = 0
        self._sockets: set[web.WebSocketResponse] = set()
        self.app = web.Application(middlewares=[self._access], client_max_size=1024)
        self.app.add_routes(
            [
                web.get("/", self._page("index.html")),
                web.get("/overlay", self._page("overlay.html")),
                web.get("/static/{name}", self._static),
                web.get("/info.json", self._info),
                web.get("/qr", self._qr_page),
                web.get("/qr.svg", self._qr_svg),
                web.get("/events", self._events),
                web.get("/captions/{lang}.{fmt}", self._captions),
                web.get("/audio/{lang}", self._audio),
            ]
        )

    async def close_sockets(self) -> None:
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=b"run ended")

    # -- access -----------------------------------------------------------------------------

    @web.middleware
    async def _access(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        code = self.options.access_code
        if code is not None and not hmac.compare_digest(
            request.query.get("code", "").encode("utf-8"), code.encode("utf-8")
        ):
            return web.Response(status=403, text="access code required: add ?code=... to the address\n")
        if request.method not in ("GET", "HEAD"):
            return web.Response(status=405, text="listeners are read-only\n")
        response = await handler(request)
        if not response.prepared:
            response.headers.update(_SECURITY_HEADERS)
        return response

    # -- pages ------------------------------------------------------------------------------

    def _page(self, name: str) -> Handler:
        html = (STATIC / name).read_text(encoding="utf-8")
        code = self.options.access_code
        if code is not None:  # the page's own scripts and styles are behind the code too
            html = re.sub(r'"(static/[a-z]+\.(?:js|css))"', lambda m: f'"{m[1]}?code={escape(code)}"', html)

        async def page(request: web.Request) -> web.StreamResponse:
            return web.Response(text=html, content_type="text/html", charset="utf-8")

        return page

    async def _static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = STATIC / name
        if "/" in name or name.startswith(".") or not path.is_file() or path.suffix == ".html":
            raise web.HTTPNotFound()
        return web.FileResponse(path)

    async def _info(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"title": self.title, "languages": self.hub.languages})

    def _listener_url(self, request: web.Request) -> str:
        base = f"{request.scheme}://{request.host}/"
        code = self.options.access_code
        return base if code is None else f"{base}?code={code}"

    async def _qr_svg(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=qr_svg(self._listener_url(request)), content_type="image/svg+xml")

    async def _qr_page(self, request: web.Request) -> web.StreamResponse:
        url = self._listener_url(request)
        svg = qr_svg(url).decode("utf-8")
        body = (
            "<!doctype html><meta charset=utf-8><title>Listen</title>"
            "<style>body{margin:0;display:flex;flex-direction:column;align-items:center;justify-content:center;"
            "height:100vh;font:4vmin system-ui,sans-serif}svg{width:80vmin;height:80vmin}</style>"
            f"{svg}<p>{escape(url)}</p>"
        )
        return web.Response(text=body, content_type="text/html")

    # -- captions ---------------------------------------------------------------------------

    async def _captions(self, request: web.Request) -> web.StreamResponse:
        fmt = request.match_info["fmt"]
        if fmt not in ("vtt", "srt"):
            raise web.HTTPNotFound()
        text = self.hub.files.render(request.match_info["lang"], fmt)
        if text is None:
            raise web.HTTPNotFound(text="no such language\n")
        content_type = "text/vtt" if fmt == "vtt" else "application/x-subrip"
        return web.Response(text=text, content_type=content_type, charset="utf-8")

    async def _events(self, request: web.Request) -> web.StreamResponse:
        wanted = set(filter(None, request.query.get("lang", "").split(","))) or set(self.hub.languages)
        if self.caption_readers >= self.options.max_listeners:
            return web.Response(status=503, text="too many listeners\n")
        last = request.headers.get("Last-Event-ID") or request.query.get("after") or "0"
        cursor = int(last) if last.isdigit() else 0
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
                **_SECURITY_HEADERS,
            }
        )
        self.caption_readers += 1
        try:
            await response.prepare(request)
            await response.write(b"retry: 1000\n\n")
            seen = dict.fromkeys(self.hub.languages, 0)
            quiet = False
            while True:
                out: list[str] = []
                for caption in self.hub.book.since(cursor):
                    cursor = caption.seq
                    if caption.lang in wanted:
                        data = caption.as_json()
                        source = self.hub.source_texts.get(caption.seq)
                        if source is not None:
                            data["source"] = source
                        out.append(f"id: {caption.seq}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n")
                for lang, (version, partial) in self.hub.partials.items():
                    if lang in wanted and version > seen[lang]:
                        seen[lang] = version
                        data = partial.as_json() if partial is not None else {"lang": lang, "kind": "clear"}
                        out.append(f"data: {json.dumps(data, ensure_ascii=False)}\n\n")
                if self.hub.ended:
                    out.append("event: end\ndata: {}\n\n")
                if out or quiet:
                    await response.write("".join(out).encode("utf-8") if out else b": ping\n\n")
                if self.hub.ended:
                    break
                quiet = not await self.hub.changed(SSE_PING_S)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.caption_readers -= 1
        return response

    # -- audio ------------------------------------------------------------------------------

    async def _audio(self, request: web.Request) -> web.StreamResponse:
        lang = request.match_info["lang"]
        fanout = self.hub.fanouts.get(lang)
        if fanout is None:
            raise web.HTTPNotFound(text="no such language\n")
        if self.audio_listeners >= self.options.max_listeners:
            return web.Response(status=503, text="too many listeners\n")
        ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=1024, compress=False)
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "lang": lang, "sample_rate_hz": 48_000, "frame_ms": 20})
        transport = request.transport
        if transport is None:
            return ws
        self.audio_listeners += 1
        stats = self.hub.stats
        stats.listeners_peak = max(stats.listeners_peak, self.audio_listeners)
        self._sockets.add(ws)
        listener = fanout.attach(transport)
        try:
            async for msg in ws:  # read-only: anything a listener sends is dropped
                if msg.type == WSMsgType.ERROR:
                    break
        finally:
            fanout.detach(listener)
            self._sockets.discard(ws)
            self.audio_listeners -= 1
        return ws
