"""The audience server in-process (its own thread and loop, real aiohttp, real sockets):
caption replay after a reconnect, the listener limit, read-only listeners, captions files,
and start-up failures as one-line usage errors through the real CLI."""

from __future__ import annotations

import asyncio
import json
import socket

from aiohttp import ClientSession, WSServerHandshakeError

from tests.e2e.conftest import ROOT, run_cli
from translator.events import (
    InputProgress,
    SpeechStarted,
    TranslationAudio,
    TranslationFinal,
    TranslationPartial,
)
from translator.serve import AudienceServer, ServeOptions
from translator.subtitles.options import SubtitleOptions

PAIR = [("en-US", "es-ES"), ("es-ES", "en-US")]


def _final(utterance: str, start_ms: int, text: str) -> TranslationFinal:
    return TranslationFinal("en-US>es-ES", utterance, "en-US", "es-ES", start_ms, start_ms + 900, text, "x")


async def _finals(
    http: ClientSession, url: str, headers: dict[str, str], count: int
) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    async with http.get(url, headers=headers) as r:
        buffer = b""
        while len(out) < count:
            buffer += await asyncio.wait_for(r.content.readany(), 10)
            while b"\n\n" in buffer:
                block, buffer = buffer.split(b"\n\n", 1)
                for line in block.decode().splitlines():
                    if line.startswith("data: ") and '"final"' in line:
                        out.append(json.loads(line[6:]))
    return out


async def test_captions_replay_exactly_what_a_reconnecting_reader_missed() -> None:
    server = AudienceServer(PAIR, ServeOptions("127.0.0.1", 0, None, 2), SubtitleOptions(), "t")
    server.start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        server.handle(SpeechStarted("en-US>es-ES", "u1", 0))
        server.handle(TranslationPartial("en-US>es-ES", "u1", "Hola"))
        server.handle(_final("u1", 0, "Hola a todos."))
        server.handle(_final("u2", 1000, "Bienvenidos."))
        server.handle(InputProgress(10_000))
        async with ClientSession() as http:
            first = await _finals(http, f"{base}/events?lang=es-ES", {}, 2)
            assert [(c["kind"], c["text"], c["seq"]) for c in first] == [
                ("final", "Hola a todos.", 1),
                ("final", "Bienvenidos.", 2),
            ]
            server.handle(_final("u3", 2000, "Gracias."))
            again = await _finals(http, f"{base}/events?lang=es-ES", {"Last-Event-ID": "2"}, 1)
            assert [(c["text"], c["seq"]) for c in again] == [("Gracias.", 3)]
            async with http.get(f"{base}/captions/es-ES.vtt") as r:
                vtt = await r.text()
            assert vtt.startswith("WEBVTT") and "Hola a todos." in vtt and "Bienvenidos." in vtt
            async with http.get(f"{base}/captions/xx-XX.srt") as r:
                assert r.status == 404
            async with http.post(f"{base}/events", data=b"x") as r:
                assert r.status == 405  # read-only

            sockets = [await http.ws_connect(f"{base.replace('http', 'ws')}/audio/es-ES") for _ in range(2)]
            try:
                await http.ws_connect(f"{base.replace('http', 'ws')}/audio/es-ES")
                raise AssertionError("a third listener was let in")
            except WSServerHandshakeError as e:
                assert e.status == 503  # max_listeners = 2
            hello = await sockets[0].receive_json()
            assert hello["type"] == "hello" and hello["sample_rate_hz"] == 48_000
            await sockets[0].send_str("x" * 100)  # ignored
            server.handle(TranslationAudio("en-US>es-ES", "u4", b"\x00\x10" * 2400, 24_000))
            message = await asyncio.wait_for(sockets[1].receive(), 10)
            while isinstance(message.data, str):
                message = await asyncio.wait_for(sockets[1].receive(), 10)
            assert message.data[0] == 1 and len(message.data) > 10  # Opus frames
            for ws in sockets:
                await ws.close()
    finally:
        await server.aclose()


def test_a_port_in_use_or_a_stray_option_is_a_one_line_usage_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_cli(
            "run", str(ROOT / "configs" / "en-es.yaml"), "--emulator", "--no-play", "--serve", str(port)
        )
    assert result.code == 2, result.stderr[-2000:]
    assert f"--serve 127.0.0.1:{port}: cannot listen there" in result.stderr
    assert "Traceback" not in result.stderr
    stray = run_cli("run", str(ROOT / "configs" / "en-es.yaml"), "--emulator", "--serve-code", "abcd")
    assert stray.code == 2 and "go with --serve" in stray.stderr
    bad = run_cli("run", str(ROOT / "configs" / "en-es.yaml"), "--emulator", "--serve", "localhost:http")
    assert bad.code == 2 and "[HOST:]PORT" in bad.stderr
