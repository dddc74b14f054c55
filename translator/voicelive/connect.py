"""Opening a Voice Live connection through the SDK, with handshake failures classified.

The SDK raises one ``ConnectionError`` for every handshake failure; the HTTP status
is only on its ``__cause__`` (protocol notes §1). Here it becomes:
401/403 → ``ServiceRejected`` (not retried), 429 → ``Throttled`` (backoff),
anything else → ``SessionError`` (retried). Messages never carry credentials.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import structlog

from translator.errors import ServiceRejected, SessionError, Throttled, UsageError
from translator.logs import clip, redact

if TYPE_CHECKING:
    from azure.ai.voicelive.aio import VoiceLiveConnection


class Unreachable(SessionError):
    """No handshake at all: refused, unknown host, no route (not an HTTP answer)."""


KEY_ENV = "AZURE_COGNITIVE_SERVICES_KEY"
ENDPOINT_ENV = "AZURE_COGNITIVE_SERVICES_ENDPOINT"
_SDK_LEAKS = ("Unclosed client session", "Unclosed connector")

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ServiceTarget:
    endpoint: str
    model: str
    api_version: str
    api_key: str | None = field(default=None, repr=False)
    connect_timeout_s: float = 15.0

    def describe(self) -> str:
        auth = "api key" if self.api_key else "Entra ID (DefaultAzureCredential)"
        return f"{self.endpoint} model={self.model} api-version={self.api_version} auth={auth}"


def check_endpoint(endpoint: str) -> str:
    """Accept https anywhere; plain http only on loopback (the emulator). Returns it normalised."""
    try:
        parsed = urlparse(endpoint)
        parsed.port  # noqa: B018 - parses the port: 99999 or "x" raise here, not at connect time
    except ValueError as e:
        raise UsageError(f"endpoint '{redact(_strip_query(endpoint))}' is not a valid URL: {e}") from None
    if parsed.scheme not in ("https", "http", "wss", "ws") or not parsed.hostname:
        raise UsageError(f"endpoint '{_strip_query(endpoint)}' is not an https:// URL")
    if parsed.scheme in ("http", "ws") and not _is_loopback(parsed.hostname):
        raise UsageError(
            f"refusing plain {parsed.scheme}:// endpoint on non-loopback host '{parsed.hostname}': "
            "credentials would travel unencrypted; use https://"
        )
    if parsed.query:
        raise UsageError("the endpoint must not carry query parameters (keys never go in URLs)")
    return endpoint.rstrip("/")


def _strip_query(url: str) -> str:
    return url.split("?", 1)[0]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _credential(target: ServiceTarget) -> Any:
    if target.api_key:
        from azure.core.credentials import AzureKeyCredential

        return AzureKeyCredential(target.api_key)
    from azure.identity.aio import DefaultAzureCredential

    return DefaultAzureCredential()


@asynccontextmanager
async def open_connection(
    target: ServiceTarget, *, heartbeat_s: float
) -> AsyncIterator[VoiceLiveConnection]:
    from azure.ai.voicelive.aio import ConnectionError, connect

    _quiet_cancelled_handshakes(asyncio.get_running_loop())
    credential = _credential(target)
    try:
        manager = connect(
            endpoint=target.endpoint,
            credential=credential,
            model=target.model,
            api_version=target.api_version,
            connection_options={"heartbeat": heartbeat_s, "max_msg_size": 4 * 1024 * 1024},
        )
        try:
            # The whole handshake (TCP, TLS, token, upgrade) within connect_timeout_s: the SDK
            # sets none, and aiohttp's default waits 300 s on a peer that never answers.
            conn = await asyncio.wait_for(_enter(manager), target.connect_timeout_s)
        except asyncio.TimeoutError:
            raise SessionError(f"no answer to the handshake within {target.connect_timeout_s:g} s") from None
        except ConnectionError as e:
            raise _classify(e) from None
        except Exception as e:  # azure-identity failures and the like: say what, never the secret
            if e.__class__.__name__ in ("ClientAuthenticationError", "CredentialUnavailableError"):
                raise ServiceRejected(
                    f"could not get an Entra ID token ({clip(str(e), 400).splitlines()[0][:160]}); "
                    f"set {KEY_ENV} to use an API key, or run 'az login'"
                ) from None
            raise
        try:
            yield conn
        finally:
            await manager.__aexit__(None, None, None)
    finally:
        close = getattr(credential, "close", None)
        if close is not None:
            await close()


def _quiet_cancelled_handshakes(loop: asyncio.AbstractEventLoop) -> None:
    """SDK quirk: ``connect().__aenter__`` opens an aiohttp session and closes it only when
    the handshake fails with a client error. A handshake cancelled mid-way (another
    direction was refused, Ctrl-C) leaves it open, and aiohttp reports that when the
    object is collected, at interpreter exit, after the program's last line. Harmless
    then, so it goes to the debug log; every other loop error is handled as before."""
    previous = loop.get_exception_handler()
    if getattr(previous, "quiets_sdk_leaks", False):
        return

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") in _SDK_LEAKS:
            log.debug("sdk_session_left_open", message=context["message"])
        elif previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    handler.quiets_sdk_leaks = True  # type: ignore[attr-defined]
    loop.set_exception_handler(handler)


async def _enter(manager: Any, grace_s: float = 1.5) -> VoiceLiveConnection:
    """``manager.__aenter__()``, closing what it opened even when we are cancelled meanwhile.

    The SDK creates an aiohttp ClientSession inside ``__aenter__`` and closes it only on
    ``ClientError``: a cancellation (the other direction was rejected, Ctrl-C) would leak
    it ("Unclosed client session" at exit). Cancelled, we give the handshake ``grace_s``
    to end, close the connection it made, then let the cancellation through."""
    entering = asyncio.ensure_future(manager.__aenter__())
    try:
        return await asyncio.shield(entering)
    except asyncio.CancelledError:
        done, _ = await asyncio.wait({entering}, timeout=grace_s)
        if done and not entering.cancelled() and entering.exception() is None:
            with contextlib.suppress(Exception):
                await manager.__aexit__(None, None, None)
        elif not done:
            entering.cancel()
        raise


def _classify(error: Exception) -> Exception:
    cause = error.__cause__
    status = getattr(cause, "status", None)
    if status in (401, 403):
        return ServiceRejected(
            f"the service rejected the credentials (HTTP {status}); check {KEY_ENV} or your Entra ID role"
        )
    if status == 404:
        return ServiceRejected("no Voice Live endpoint at that address (HTTP 404); check the endpoint")
    if status == 429:
        return Throttled("the service is throttling new connections (HTTP 429)")
    if status is not None:
        return SessionError(f"the handshake failed with HTTP {status}")
    reason = cause.__class__.__name__ if cause is not None else "connection failed"
    detail = str(getattr(cause, "os_error", "") or "") or reason
    return Unreachable(f"cannot connect: {clip(detail, 160)}")


def target_from_env(endpoint: str | None, model: str, api_version: str, timeout_s: float) -> ServiceTarget:
    endpoint = endpoint or os.environ.get(ENDPOINT_ENV)
    if not endpoint:
        raise UsageError(
            f"no endpoint: set {ENDPOINT_ENV}, put service.endpoint in the profile, "
            "pass --endpoint, or use --emulator"
        )
    return ServiceTarget(
        check_endpoint(endpoint), model, api_version, os.environ.get(KEY_ENV) or None, timeout_s
    )


def close_code(conn: VoiceLiveConnection, reported: int) -> int:
    """The close code of an SDK connection that ended. SDK quirk: after a TCP abort the SDK
    reports 1000, while its private transport (``conn._connection``) knows the real 1006
    (protocol notes §9). Read here, in the one module that holds the SDK's quirks."""
    ws = getattr(conn, "_connection", None)
    code = getattr(ws, "close_code", None)
    return int(code) if isinstance(code, int) else reported
