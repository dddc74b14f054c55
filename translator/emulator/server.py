"""The emulator's HTTP/WebSocket shell: handshake, authentication, records, start/stop.

``GET /voice-live/realtime`` with ``api-key`` (header or query) or
``Authorization: Bearer`` (header or query ``Authorization=Bearer%20<token>``).
A bad or missing credential gets HTTP 401 with a JSON body and no upgrade. Then the
handshake switches of the fault plan (403, 404, 429, 5xx for the first N handshakes)
and the per-key session limit (429) may refuse it, also with a JSON body. Any other
path gets a JSON 404. Everything after the upgrade is ``connection.py``.
"""

from __future__ import annotations

import asyncio
import time
from types import TracebackType
from typing import Any

import structlog
from aiohttp import web

from translator.emulator.config import KNOWN_MODEL
from translator.emulator.connection import Connection
from translator.emulator.conversation import new_id
from translator.emulator.faults import FaultPlan
from translator.emulator.model import EchoModel, Model, ScriptedModel
from translator.emulator.options import MAX_INBOUND_FRAME_BYTES, EmulatorOptions
from translator.emulator.record import ConnectionRecord

log = structlog.get_logger(__name__)
PATH = "/voice-live/realtime"
_SECRET_PARAMS = frozenset({"api-key", "authorization"})


def _credential(request: web.Request) -> str | None:
    """The key or token the client presented, from any of the four accepted places."""
    key = request.headers.get("api-key") or request.query.get("api-key")
    if key:
        return key
    auth = request.headers.get("Authorization") or request.query.get("Authorization") or ""
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def _json_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


_REFUSALS = {
    403: "The principal does not have access to this resource (emulated).",
    404: "Resource not found (emulated).",
    429: "Rate limit exceeded (emulated). Try again later.",
}


def _refusal(status: int) -> web.Response:
    """The JSON answer to a handshake refused by a fault switch."""
    message = _REFUSALS.get(status, f"The service is temporarily unavailable (emulated {status}).")
    headers = {"Retry-After": "1"} if status in (429, 503) else {}
    return _json_error(status, str(status), message, headers)


class Emulator:
    """An in-process Voice Live emulator. ``async with Emulator(options) as emu: emu.url``."""

    def __init__(self, options: EmulatorOptions | None = None) -> None:
        self.options = options or EmulatorOptions()
        self.faults: FaultPlan = self.options.faults
        scenario = self.options.scenario
        if scenario is not None:
            self.faults.merge(scenario.fault_plan())
        self.model: Model = ScriptedModel(scenario) if scenario is not None else EchoModel()
        self.records: list[ConnectionRecord] = []
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._handshakes = 0
        self._open = 0
        self._open_per_key: dict[str, int] = {}
        """Open sessions per credential (for ``max_sessions_per_key``); never logged."""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        app.router.add_get(PATH, self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        bound = sockets[0].getsockname()[1] if sockets else port
        self.url = f"http://{host}:{bound}"
        log.info("emulator_listening", url=self.url, scripted=self.options.scenario is not None)
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            log.info("emulator_stopped", connections=len(self.records))

    async def __aenter__(self) -> Emulator:
        if not self.url:
            await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def _authorized(self, credential: str | None) -> bool:
        if not credential:
            return False
        return self.options.accepted_keys is None or credential in self.options.accepted_keys

    async def _not_found(self, request: web.Request) -> web.StreamResponse:
        log.info("emulator_handshake_rejected", status=404, path=request.path, remote=request.remote)
        return _json_error(404, "404", "Resource not found.")

    def _refuse(self, request: web.Request, credential: str | None) -> web.Response | None:
        """The HTTP answer that refuses this handshake, or None to upgrade it."""
        if credential is None or not self._authorized(credential):
            log.info("emulator_handshake_rejected", status=401, remote=request.remote)
            return _json_error(
                401,
                "401",
                "Access denied due to invalid subscription key or wrong API endpoint. "
                "Make sure to provide a valid key for an active subscription.",
            )
        status = self.faults.reject_handshake()
        if status is not None:
            log.info("emulator_handshake_rejected", status=status, remote=request.remote)
            return _refusal(status)
        limit = self.faults.max_sessions_per_key
        if limit is not None and self._open_per_key.get(credential, 0) >= limit:
            log.info(
                "emulator_handshake_rejected",
                status=429,
                reason="max_sessions_per_key",
                limit=limit,
                remote=request.remote,
            )
            return _json_error(
                429,
                "429",
                f"Too many concurrent sessions for this key (limit {limit}).",
                {"Retry-After": "1"},
            )
        agent = request.query.get("agent-name") and request.query.get("agent-project-name")
        if not request.query.get("model") and not agent and self.options.require_model:
            return _json_error(
                400, "400", "Missing query parameter 'model' (or 'agent-name' and 'agent-project-name')."
            )
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        credential = _credential(request)
        refusal = self._refuse(request, credential)
        if refusal is not None:
            return refusal
        if self.faults.hostile.hang():
            log.info("emulator_handshake_hung", remote=request.remote)
            await asyncio.Event().wait()  # accepted on TCP, never answered (until the client gives up)
        if self._open >= self.options.max_connections:
            limit = self.options.max_connections
            log.warning("emulator_connection_limit", limit=limit, remote=request.remote)
            return _json_error(503, "503", "Too many connections (emulated limit).", {"Retry-After": "1"})
        key = credential or ""
        self._open += 1
        self._open_per_key[key] = self._open_per_key.get(key, 0) + 1
        try:
            return await self._accept(request)
        finally:
            self._open -= 1
            self._open_per_key[key] -= 1
            if not self._open_per_key[key]:
                del self._open_per_key[key]

    async def _accept(self, request: web.Request) -> web.StreamResponse:
        model_name = request.query.get("model", "")
        index = self._handshakes
        self._handshakes += 1
        ws = web.WebSocketResponse(
            max_msg_size=MAX_INBOUND_FRAME_BYTES, autoping=index not in self.faults.no_pong_connections
        )
        transport = request.transport
        await ws.prepare(request)
        query = {k: v for k, v in request.query.items() if k.lower() not in _SECRET_PARAMS}
        record = ConnectionRecord(index, new_id("sess"), model_name or "gpt-4o", query)
        self.records.append(record)
        if self.options.record_dir is not None:
            record.open_file(self.options.record_dir)
        log.info(
            "emulator_connection",
            index=index,
            session_id=record.session_id,
            model=record.model,
            remote=request.remote,
        )
        try:
            if model_name and self.options.reject_unknown_models and not KNOWN_MODEL.match(model_name):
                await self._reject_model(ws, model_name, record)
            else:
                await self._serve(ws, transport, record)
        except Exception as e:  # a bug in the emulator: close 1011 like a failing service
            log.error("emulator_connection_failed", index=index, session_id=record.session_id, error=repr(e))
            record.close_code = 1011
            await ws.close(code=1011)
        finally:
            record.close(record.close_code if record.close_code is not None else ws.close_code)
            log.info(
                "emulator_connection_closed",
                index=index,
                session_id=record.session_id,
                close_code=ws.close_code,
                received=len(record.received),
                sent=len(record.sent_types),
                duration_s=round(time.time() - record.started_at_s, 3),
            )
        return ws

    async def _reject_model(
        self, ws: web.WebSocketResponse, model_name: str, record: ConnectionRecord
    ) -> None:
        await ws.send_json(
            {
                "type": "error",
                "event_id": new_id("event"),
                "error": {
                    "type": "invalid_request_error",
                    "code": "model_not_found",
                    "param": "model",
                    "event_id": None,
                    "message": f"The model '{model_name}' does not exist or you do not have access to it.",
                },
            }
        )
        record.close_code = 1008
        await ws.close(code=1008)

    async def _serve(self, ws: web.WebSocketResponse, transport: Any, record: ConnectionRecord) -> None:
        cap = self.options.session_max_s
        if self.faults.expire_after_s is not None:
            cap = min(cap, self.faults.expire_after_s)
        connection = Connection(
            ws, transport, self.options, self.model, self.faults, record, record.model, cap
        )
        await connection.serve()
