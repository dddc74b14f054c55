"""The outgoing side of one connection: event ids, serialized sends, the stall gate,
close and abort; and the set of background tasks the connection owns.

Every server event goes through :meth:`Outbox.send`, which stamps a unique
``event_id``, serializes sends, waits while a stall holds the gate, and records
the event type. With ``latency_s`` (the ``event_latency`` fault) every event reaches
the client that much later, in order, while the connection goes on reading and
processing the client's events: a distant or loaded service, whose turn events trail
the audio it was sent.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any

import structlog
from aiohttp import web

from translator.emulator.conversation import new_id
from translator.emulator.hostile import with_echo
from translator.emulator.record import ConnectionRecord
from translator.emulator.response_faults import ConnectionEnded

log = structlog.get_logger(__name__)


class Outbox:
    def __init__(self, ws: web.WebSocketResponse, transport: Any, record: ConnectionRecord) -> None:
        self.ws = ws
        self.record = record
        self._transport = transport
        self._lock = asyncio.Lock()
        self._gate = asyncio.Event()
        self._gate.set()
        self.echo = ""  # a hostile fault: appended to every free-text field (hostile.py)
        self.latency_s = 0.0
        self._line: asyncio.Queue[tuple[float, str]] | None = None
        self._line_task: asyncio.Task[None] | None = None

    async def send(self, type_: str, **fields: Any) -> None:
        if self.echo:
            fields = with_echo(fields, self.echo)
        event = {"type": type_, "event_id": new_id("event"), **fields}
        await self.send_text(json.dumps(event, ensure_ascii=False))
        self.record.sent_types.append(type_)

    async def send_text(self, data: str) -> None:
        """One text frame, in order with every other send (and held by a stall)."""
        if self.latency_s > 0:
            self._delay(data)
            return
        await self._send_now(data)

    def _delay(self, data: str) -> None:
        loop = asyncio.get_running_loop()
        if self._line is None:
            self._line = asyncio.Queue()
            self._line_task = loop.create_task(self._drain_line(self._line))
        self._line.put_nowait((loop.time() + self.latency_s, data))

    async def _drain_line(self, line: asyncio.Queue[tuple[float, str]]) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                due, data = await line.get()
                await asyncio.sleep(max(0.0, due - loop.time()))
                await self._send_now(data)
                line.task_done()
        except ConnectionEnded:
            pass

    async def _send_now(self, data: str) -> None:
        async with self._lock:
            await self._gate.wait()
            if self.ws.closed:
                raise ConnectionEnded("closed")
            try:
                await self.ws.send_str(data)
            except (ConnectionError, RuntimeError) as e:
                raise ConnectionEnded(str(e)) from e

    async def error(
        self,
        code: str,
        message: str,
        param: str | None = None,
        event_id: Any = None,
        type_: str = "invalid_request_error",
    ) -> None:
        await self.send(
            "error",
            error={"type": type_, "code": code, "message": message, "param": param, "event_id": event_id},
        )

    async def close(self, code: int) -> None:
        if self._line is not None and self._line_task is not None and not self._line_task.done():
            # the close frame must not overtake the events still on their way
            await asyncio.wait([asyncio.ensure_future(self._line.join())], timeout=self.latency_s + 1.0)
            self._line_task.cancel()
        self.record.close_code = code
        await self.ws.close(code=code)

    async def stop_line(self) -> None:
        """The connection is over: events still on their way are dropped."""
        if self._line_task is not None:
            self._line_task.cancel()
            await asyncio.gather(self._line_task, return_exceptions=True)

    def abort(self) -> None:
        """Drop the TCP connection with no close frame (the client sees 1006)."""
        self.record.close_code = 1006
        self._transport.abort()

    def hold(self, seconds: float) -> None:
        """Hold every event for ``seconds`` (they queue up, then go out in order)."""
        self._gate.clear()
        asyncio.get_running_loop().call_later(seconds, self._gate.set)


class TaskSet:
    """Background tasks of one connection; a failure that is not a closed connection is logged."""

    def __init__(self, session_id: str) -> None:
        self._session_id = session_id
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Awaitable[None], name: str) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._done(t, name))

    def _done(self, task: asyncio.Task[None], name: str) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            if not isinstance(exc, ConnectionEnded):
                log.error("emulator_task_failed", task=name, session_id=self._session_id, error=repr(exc))

    async def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
