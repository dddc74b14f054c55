"""What each mid-response utterance fault does, halfway through the response's deltas.

Given the response's own levers (send, stop with a status, pause, end the
connection), :func:`fire` acts out one :class:`~translator.emulator.faults.UtteranceFault`:

- ``close_1011_mid_response``: ``error`` (server_error), then close 1011.
- ``tcp_abort_mid_response``: drop the TCP connection (the client sees 1006).
- ``error_event``: an ``error`` (``rate_limit_error`` for ``rate_limit_exceeded``);
  the response goes on, or with ``ends_response`` ends ``failed`` with that error.
- ``warning_event``: a ``warning``; the response goes on.
- ``oversized_frame``: one ``response.audio.delta`` frame over 4 MiB of silence
  (the SDK closes with 1009).
- ``response_failed`` / ``response_incomplete`` (``reason``) end the response;
  ``stall_mid_response`` sends nothing for ``seconds``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from translator.emulator.faults import OVERSIZED_FRAME_BYTES, UtteranceFault


class Sender(Protocol):
    async def __call__(self, type_: str, **fields: Any) -> None: ...


class ConnectionEnded(Exception):
    """A fault (or the client) closed the connection in the middle of a response."""


@dataclass(frozen=True)
class Abort:
    """How a mid-response fault ends the connection (given by the connection)."""

    close_1011: Callable[[], Awaitable[None]]
    tcp_abort: Callable[[], None]


@dataclass(frozen=True)
class Levers:
    """What a fault may do to one running response."""

    send: Sender
    stop: Callable[[str, dict[str, Any]], None]
    pause: Callable[[float], Awaitable[None]]
    abort: Abort
    ids: dict[str, Any]
    """``response_id``, ``item_id``, ``output_index``, ``content_index`` of the audio part."""


def _failed(error: dict[str, Any]) -> dict[str, Any]:
    return {"type": "failed", "error": error}


async def fire(fault: UtteranceFault, levers: Levers) -> None:
    """Act out ``fault``; raises :class:`ConnectionEnded` when it ends the connection."""
    kind, send = fault.kind, levers.send
    if kind == "close_1011_mid_response":
        error = {
            "type": "server_error",
            "code": "server_error",
            "message": "The server had an error (emulated).",
        }
        await send("error", error={**error, "param": None, "event_id": None})
        await levers.abort.close_1011()
        raise ConnectionEnded(kind)
    if kind == "tcp_abort_mid_response":
        levers.abort.tcp_abort()
        raise ConnectionEnded(kind)
    if kind == "error_event":
        code = fault.code or "server_error"
        error_type = "rate_limit_error" if code == "rate_limit_exceeded" else "server_error"
        error = {"type": error_type, "code": code, "message": f"Emulated {code} error."}
        await send("error", error={**error, "param": None, "event_id": None})
        if fault.ends_response:
            levers.stop("failed", _failed(error))
    elif kind == "warning_event":
        code = fault.code or "emulated_warning"
        await send("warning", warning={"code": code, "message": f"Emulated {code} warning.", "param": None})
    elif kind == "oversized_frame":
        await send("response.audio.delta", **levers.ids, delta="A" * OVERSIZED_FRAME_BYTES)
    elif kind == "response_failed":
        error = {"type": "server_error", "code": "internal_error", "message": "Emulated failure."}
        levers.stop("failed", _failed(error))
    elif kind == "response_incomplete":
        levers.stop("incomplete", {"type": "incomplete", "reason": fault.reason})
    elif kind == "stall_mid_response":
        await levers.pause(fault.seconds)
