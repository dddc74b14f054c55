"""The caption overlay in real Chromium, the access code, and no secret in any served byte.

The shipped English ↔ Spanish profile through the emulator, served on loopback with an
access code: every route answers 403 without it; with it, every route (pages, scripts,
QR, captions files, the event stream, the audio socket) is fetched and none of the bytes
holds the API key or the service endpoint. The overlay, opened in headless Chromium,
shows the current caption (DOM text and pixels of a screenshot).
"""

from __future__ import annotations

import asyncio
import io
import time
import urllib.error
import urllib.request
from pathlib import Path

import av
import numpy as np
import pytest
from aiohttp import ClientSession, WSMsgType, WSServerHandshakeError

from tests.e2e.conftest import ROOT, SAMPLES, SECRET_KEY, read_jsonl
from tests.serve.helpers import ServedRun, chromium, wait_for

pytestmark = pytest.mark.slow

CODE = "room-42x"
LANGS = ("es-ES", "en-US", "original")
PATHS = (
    "/",
    "/overlay",
    "/info.json",
    "/qr",
    "/qr.svg",
    "/static/listener.js",
    "/static/listener.css",
    "/static/overlay.js",
    "/static/overlay.css",
    *(f"/captions/{lang}.{fmt}" for lang in LANGS for fmt in ("vtt", "srt")),
)


def _get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


async def _original(base: str, query: str) -> int:
    """Bytes of Opus from the "original" socket (the input audio, tapped from the pipeline) in 2 s."""
    got = 0
    async with (
        ClientSession() as http,
        http.ws_connect(f"{base.replace('http', 'ws')}/audio/original{query}") as ws,
    ):
        end = time.monotonic() + 2
        while time.monotonic() < end:
            try:
                msg = await asyncio.wait_for(ws.receive(), end - time.monotonic())
            except asyncio.TimeoutError:
                break
            if msg.type == WSMsgType.BINARY:
                got += len(msg.data)
    return got


async def _stream_and_socket(base: str, query: str) -> tuple[bytes, bytes, int]:
    """The event stream up to its first final line, 3 s of the Spanish audio socket, and a
    socket without the code."""
    async with ClientSession() as http:
        events = b""
        async with http.get(f"{base}/events{query}") as r:
            assert r.status == 200 and r.headers["Content-Type"].startswith("text/event-stream")
            end = time.monotonic() + 25
            while time.monotonic() < end and b'"kind": "final"' not in events:
                try:
                    events += await asyncio.wait_for(r.content.readany(), end - time.monotonic())
                except asyncio.TimeoutError:
                    break
        audio = b""
        async with http.ws_connect(f"{base.replace('http', 'ws')}/audio/es-ES{query}") as ws:
            end = time.monotonic() + 3
            while time.monotonic() < end:
                try:
                    msg = await asyncio.wait_for(ws.receive(), end - time.monotonic())
                except asyncio.TimeoutError:
                    break
                if msg.type == WSMsgType.BINARY:
                    audio += msg.data
                elif msg.type == WSMsgType.TEXT:
                    audio += msg.data.encode()
                else:
                    break
            await ws.send_str('{"type": "set", "lang": "en-US"}')  # listeners are read-only: ignored
        try:
            async with http.ws_connect(f"{base.replace('http', 'ws')}/audio/es-ES"):
                refused = 101
        except WSServerHandshakeError as e:
            refused = e.status
        return events, audio, refused


def test_overlay_access_code_and_no_secret_served(tmp_path: Path) -> None:
    jsonl = tmp_path / "lines.jsonl"
    run = ServedRun(
        "run", str(ROOT / "configs" / "en-es.yaml"), "--emulator",
        "--input", str(SAMPLES / "en-es-sample.wav"), "--scenario", str(SAMPLES / "en-es-sample.yaml"),
        "--no-play", "--quiet", "--subtitles", str(jsonl),
        "--serve", "127.0.0.1:0", "--serve-code", CODE,
    )  # fmt: skip
    base, query = run.base, f"?code={CODE}"
    served: dict[str, bytes] = {}
    try:
        for path in (*PATHS, "/events", "/audio/es-ES"):
            status, body = _get(base + path)
            assert status == 403, (path, status)
            assert CODE.encode() not in body
            assert _get(f"{base}{path}?code=wrong")[0] == 403
        request = urllib.request.Request(f"{base}/{query}", data=b"x", method="POST")
        try:
            urllib.request.urlopen(request, timeout=10)
            raise AssertionError("POST accepted")
        except urllib.error.HTTPError as e:
            assert e.code == 405
        for path in PATHS:
            status, body = _get(base + path + query)
            assert status == 200, (path, status)
            served[path] = body
        events, audio, refused = asyncio.run(_stream_and_socket(base, query))
        served["/events"], served["/audio/es-ES"] = events, audio
        assert refused == 403
        assert b'"kind": "partial"' in events or b'"kind": "final"' in events
        assert len(audio) > 1000  # Opus frames flowed
        assert asyncio.run(_original(base, query)) > 4000 * 2 * 0.5  # ~4 KB/s of the input, live

        with chromium() as driver:
            driver.get(f"{base}/overlay?lang=es-ES&lines=2&size=48&linger=30&bilingual=1&code={CODE}")
            script = (
                "return [...document.querySelectorAll('#lines .line')]"
                ".map(d => [d.querySelector('.source')?.textContent || '', d.lastChild.textContent])"
            )
            pairs = wait_for(lambda: driver.execute_script(script), 40, "a line")
            png = driver.get_screenshot_as_png()
            size = driver.get_window_size()
        code, _, stderr = run.wait()
    finally:
        if run.proc.poll() is None:
            run.proc.kill()
    assert code == 0, stderr[-3000:]

    lines = read_jsonl(jsonl)
    translations = [x["text"] for x in lines if (x["kind"], x["target_language"]) == ("translation", "es-ES")]
    sources = [x["text"] for x in lines if (x["kind"], x["target_language"]) == ("source", "es-ES")]
    assert 1 <= len(pairs) <= 2  # lines=2
    for source, shown in pairs:  # bilingual: the original above each translated line
        assert shown in translations and source in sources, (pairs, translations, sources)
    frame = next(av.open(io.BytesIO(png)).decode(video=0))
    pixels = frame.to_ndarray(format="rgb24").astype(int)
    assert pixels.shape[1] >= size["width"] // 2
    dark = (pixels.sum(axis=2) < 150).astype(int)  # the text's outline on the page (transparent: white here)
    rows = dark.sum(axis=1)
    height = len(rows)
    # Bottom position: the caption ends near the bottom edge and grows upwards. How far up
    # depends on which two lines are shown when the screenshot is taken (two long lines and
    # their originals wrap past the middle), so the top quarter must be empty, not the top half.
    inked = np.flatnonzero(rows)
    assert inked.size and inked[-1] >= 0.75 * height, (inked[:1], inked[-1:], height)
    assert rows[: height // 4].sum() == 0
    assert rows[height // 2 :].sum() > 500  # the caption is drawn near the bottom

    emulator_url = next(r["url"] for r in run.log if r.get("event") == "emulator_started").encode()
    for path, body in served.items():
        assert SECRET_KEY.encode() not in body, path
        assert emulator_url not in body and b"voice-live" not in body, path
        assert b"AZURE_COGNITIVE" not in body, path
    assert "webvtt" in served["/captions/es-ES.vtt"].decode().lower()
    assert SECRET_KEY not in stderr
