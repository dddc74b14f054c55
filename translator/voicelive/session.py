"""One translation direction: a Voice Live connection under supervision.

``Session.run()`` loops: connect → wait for ``session.created`` → send the
configuration → wait for ``session.updated`` → run the send loop, the receive loop
and a watchdog until the input is done and every utterance is translated, or the
connection drops. Any drop (a close with any code, a TCP abort, a missed heartbeat,
a stalled stream, ``session_expired``) reconnects with the same configuration after
an exponential, jittered backoff; the turn state (``turns.py``) then sends the
unfinished utterances again. Shortly before ``expires_at`` the session renews its
connection at a quiet moment between utterances.

Not retried: rejected credentials and rejected configuration (``ServiceRejected``),
and quick failures (a handshake that succeeds and then closes at once, again and
again), which retrying would not fix.

The surface is small: ``push``/``end_input`` from the input pipeline, ``decide`` from
the arbiter (registered by the session), events out through ``emit``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from translator.errors import ServiceRejected, ServiceUnreachable, SessionError, Throttled
from translator.events import Notice, TranslatorEvent
from translator.listen.arbiter import Arbiter
from translator.listen.segmenter import Segment, Unsegmented
from translator.logs import clip
from translator.profile.model import Direction, Profile
from translator.voicelive.backoff import Backoff
from translator.voicelive.connect import ServiceTarget, Unreachable, close_code, open_connection
from translator.voicelive.refusals import classify
from translator.voicelive.turns import TurnStats, TurnTaking
from translator.voicelive.turns_client import ClientTurns
from translator.voicelive.turns_server import ServerTurns
from translator.voicelive.utterances import UtteranceTable
from translator.voicelive.wire import outbound
from translator.voicelive.wire.configure import session_config
from translator.voicelive.wire.inbound import ServerError, SessionConfigured, SessionStarted, WireEvent

if TYPE_CHECKING:
    from azure.ai.voicelive.aio import VoiceLiveConnection

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SessionTimings:
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 15.0
    stall_s: float = 20.0
    heartbeat_s: float = 10.0
    renew_margin_s: float = 60.0
    quick_failure_s: float = 3.0
    max_quick_failures: int = 3
    max_failures: int = 10
    finish_timeout_s: float = 60.0
    renew_floor_s: float = 30.0
    """Never renew, nor reconnect at once after an expected close, sooner than this after connecting."""
    min_connect_interval_s: float = 1.0
    """Never open connections more often than this (at most 60 attempts a minute per direction)."""
    max_expiry_s: float = 24 * 3600.0
    """An ``expires_at`` further away than this is not believed (nor one already past)."""


class _Renew(Exception):
    """Time to change connections (expiry is near and nothing is pending)."""


class _Transient(SessionError):
    """The service answered the handshake with a transient error (``server_error``...)."""


class _Dropped(SessionError):
    def __init__(self, reason: str, *, expected: bool = False) -> None:
        super().__init__(reason)
        self.expected = expected


class Session:
    def __init__(
        self,
        direction: Direction,
        profile: Profile,
        target: ServiceTarget,
        emit: Callable[[TranslatorEvent], None],
        arbiter: Arbiter,
        timings: SessionTimings | None = None,
        *,
        id_prefix: str = "u",
    ) -> None:
        self.direction = direction
        self.key = direction.key
        self._target = target
        self._emit = emit
        self._t = timings or SessionTimings()
        self._config = session_config(profile, direction)
        td = profile.turn_detection
        self.turns: TurnTaking = (
            ServerTurns(direction, emit, arbiter, td, id_prefix=id_prefix)
            if td.by_service
            else ClientTurns(direction, emit, arbiter)
        )
        self._wake = asyncio.Event()
        self._conn_no = 0
        self._seq = 0
        self._expires_at: float | None = None
        self._connected_at: float | None = None  # monotonic time of the current connection
        self._started = False  # a session.created was seen on some connection
        self._linked = False  # a connection is open right now
        self._last_event = time.monotonic()
        self._log = log.bind(direction=self.key)
        arbiter.register(self.key, direction.source, self.decide)

    @property
    def utterances(self) -> UtteranceTable:
        return self.turns.utterances

    @property
    def stats(self) -> TurnStats:
        return self.turns.stats

    # -- input side (event loop, non-blocking) ----------------------------------------------

    def push(self, item: Segment | Unsegmented, wall_s: float) -> None:
        """Input for this direction: segments (client turns) or raw audio (service turns)."""
        self.turns.push(item, wall_s)
        self._wake.set()

    def end_input(self) -> None:
        self.turns.end_input()
        self._wake.set()

    def decide(self, utterance: str, translate: bool, source_text: str) -> None:
        self.turns.decide(utterance, translate, source_text)
        self._wake.set()

    def finished(self) -> bool:
        return self.turns.finished()

    def backlog_ms(self) -> int:
        return self.turns.backlog_ms()

    @property
    def connected(self) -> bool:
        """A connection is open now (False while connecting or waiting to reconnect)."""
        return self._linked

    @property
    def ever_started(self) -> bool:
        return self._started

    # -- supervision ------------------------------------------------------------------------

    async def run(self) -> None:
        backoff = Backoff(self._t.backoff_initial_s, self._t.backoff_max_s)
        failures = quick = 0
        while not self.finished():
            progress_before = self.turns.progress()
            started = time.monotonic()
            try:
                await self._one_connection()
                return
            except _Renew:
                self.stats.renewals += 1
                self._log.info("session_renewed", connection=self._conn_no)
                await asyncio.sleep(max(0.0, self._t.min_connect_interval_s - (time.monotonic() - started)))
                continue
            except ServiceRejected:
                raise
            except SessionError as e:
                if isinstance(e, Unreachable) and not self._started:
                    # A wrong endpoint or no network at all: retrying for a minute helps nobody.
                    raise ServiceUnreachable(
                        f"cannot reach the service at {self._target.endpoint} ({e}); check the endpoint "
                        "(--endpoint, service.endpoint or $AZURE_COGNITIVE_SERVICES_ENDPOINT) and the network"
                    ) from None
                throttled = isinstance(e, (Throttled, _Transient))
                lived = time.monotonic() - started
                # An expected close (expiry) right after connecting is not trusted: it could be a
                # clock or a service in a loop, so it waits its turn in the backoff like any drop.
                expected = isinstance(e, _Dropped) and e.expected and lived >= self._t.renew_floor_s
                if self.turns.progress() > progress_before or expected:
                    failures = quick = 0
                    backoff.reset()
                else:
                    failures += 1
                    if self._connected_at is not None and lived < self._t.quick_failure_s and not throttled:
                        quick += 1
                if quick >= self._t.max_quick_failures:
                    raise ServiceRejected(
                        f"{self.key}: the service accepted the connection and closed it at once, "
                        f"{quick} times ({e})"
                    ) from None
                if failures >= self._t.max_failures:
                    raise SessionError(
                        f"{self.key}: giving up after {failures} failed connections ({e})"
                    ) from None
                delay = 0.0 if expected else backoff.next_delay(throttled=isinstance(e, Throttled))
                # Every path to a new connection is paced, whatever the reason for the last one's end.
                delay = max(delay, self._t.min_connect_interval_s - lived)
                self.stats.reconnects += 1
                pending = len(self.utterances.live())
                self._log.warning(
                    "reconnecting",
                    reason=str(e),
                    delay_s=round(delay, 2),
                    attempt=failures,
                    pending_utterances=pending,
                )
                self._emit(Notice(self.key, "reconnect", f"reconnecting: {e}"))
                await asyncio.sleep(delay)

    @contextlib.asynccontextmanager
    async def _link(self) -> AsyncIterator[None]:
        self._linked = True
        try:
            yield
        finally:
            self._linked = False

    async def _one_connection(self) -> None:
        self._connected_at = None
        self._conn_no += 1
        async with open_connection(self._target, heartbeat_s=self._t.heartbeat_s) as conn, self._link():
            self._connected_at = self._last_event = time.monotonic()
            self.turns.new_connection(self._conn_no)
            await self._configure(conn)
            self._wake.set()
            tasks = [
                asyncio.ensure_future(self._send(conn)),
                asyncio.ensure_future(self._receive(conn)),
                asyncio.ensure_future(self._watchdog()),
            ]
            try:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            if self.finished():
                return  # everything heard was translated; how the socket then closed does not matter
            for t in done:
                t.result()  # re-raise the failure that ended the connection

    async def _configure(self, conn: VoiceLiveConnection) -> None:
        first = await self._next_wire(conn, timeout_s=self._target.connect_timeout_s)
        if isinstance(first, ServerError):
            self._refused(first, "the session")
        if isinstance(first, SessionStarted):
            self._expires_at = self._trusted_expiry(first.expires_at_s)
            expires_in = round(self._expires_at - time.time()) if self._expires_at else None
            self._log.info(
                "session_started",
                connection=self._conn_no,
                session_id=first.session_id,
                expires_in_s=expires_in,
            )
        asked = time.monotonic()
        await conn.send(
            outbound.configure(self._config, outbound.EventId(outbound.Purpose.CONFIGURE, self._conn_no))
        )
        while True:
            wire = await self._next_wire(conn, timeout_s=self._target.connect_timeout_s)
            if isinstance(wire, SessionConfigured):
                self.turns.round_trip(time.monotonic() - asked)
                return
            if isinstance(wire, ServerError):
                self._refused(wire, "the configuration")

    def _refused(self, error: ServerError, what: str) -> None:
        """Raise what a handshake-time ``error`` means: fatal only for a bad configuration."""
        code = f" ({error.code})" if error.code else ""
        text = clip(error.message or error.code or "no reason given", 300)
        verdict = classify(error.code, error.kind)
        if verdict == "fatal":
            raise ServiceRejected(f"{self.key}: the service refused {what}: {text}{code}")
        if verdict == "throttled":
            raise Throttled(f"the service is throttling: {text}{code}")
        raise _Transient(f"the service could not set up {what}: {text}{code}")

    def _trusted_expiry(self, expires_at_s: float | None) -> float | None:
        """``expires_at`` if it is believable; one in the past, 0, or days away is ignored."""
        if expires_at_s is None:
            return None
        now = time.time()
        if expires_at_s <= now or expires_at_s > now + self._t.max_expiry_s:
            self._log.warning(
                "expiry_ignored", expires_at=expires_at_s, now=round(now), reason="past, zero or absurd"
            )
            return None
        return expires_at_s

    async def _next_wire(self, conn: VoiceLiveConnection, timeout_s: float | None = None) -> WireEvent | None:
        """The next event as a wire event (None for one to ignore); a drop raises ``_Dropped``."""
        from azure.ai.voicelive.aio import ConnectionClosed, ConnectionError

        try:
            # The receive loop waits without a timeout: the watchdog watches for stalls, and
            # a timer per event is a measurable cost with a hundred directions.
            event = await (conn.recv() if timeout_s is None else asyncio.wait_for(conn.recv(), timeout_s))
        except asyncio.TimeoutError:
            raise _Dropped(f"no answer from the service for {timeout_s:.0f} s") from None
        except ConnectionClosed as e:
            code = close_code(conn, e.code)
            raise _Dropped(f"closed by the service (code {code})", expected=self.turns.expiring) from None
        except ConnectionError as e:
            if isinstance(e.__cause__, (ValueError, TypeError)):
                self._log.warning("malformed_server_frame", error=clip(str(e.__cause__), 120))
                return None
            raise _Dropped(f"connection lost: {e}") from None
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit, MemoryError):
            raise
        except Exception as e:  # noqa: BLE001 - one bad frame never ends the run
            # The SDK parses each frame in recv(): a frame that is JSON but not an object
            # (AttributeError) or nested past the recursion limit (RecursionError) raises
            # there, after the frame was read, so the connection is still usable: skip it.
            self._log.warning("malformed_server_frame", error=clip(f"{e.__class__.__name__}: {e}", 120))
            return None
        self._last_event = time.monotonic()
        wire = self.turns.interpret(event)
        if isinstance(wire, SessionStarted):
            self._expires_at = self._trusted_expiry(wire.expires_at_s)
            self._started = True
        return wire

    async def _receive(self, conn: VoiceLiveConnection) -> None:
        while True:
            wire = await self._next_wire(conn)
            if wire is not None:
                self.turns.on(wire)
                self._wake.set()

    async def _watchdog(self) -> None:
        # The stall timer starts at the last event or when the wait began, whichever is later:
        # nothing comes while nobody speaks (or one long utterance streams in), and counting
        # from the last event made the first commit after 20 quiet seconds a "stall" (a
        # reconnect per utterance after every long pause; tests/e2e/test_faults.py).
        idle_at = time.monotonic()  # the last check that found nothing awaited
        while True:
            await asyncio.sleep(min(0.25, self._t.stall_s / 4))
            now = time.monotonic()
            if self._renewal_due():
                self._wake.set()
            if self.turns.tick(now):
                self._wake.set()
            if not self.turns.waiting_for_service():
                idle_at = now
            elif now - max(self._last_event, idle_at) > self._t.stall_s:
                raise _Dropped(f"the service stalled: no event for {self._t.stall_s:.0f} s")

    # -- sending ----------------------------------------------------------------------------

    async def _send(self, conn: VoiceLiveConnection) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            for event in self.turns.outgoing(time.monotonic()):
                await self._post(conn, event)
            if self.finished():
                self._log.info("session_finished", connection=self._conn_no)
                await conn.close()
                return
            if self._renewal_due() and self.turns.quiet():
                raise _Renew()

    async def _post(self, conn: VoiceLiveConnection, event: outbound.ClientEvent) -> None:
        """Send one client event, with an id of ours so errors can be matched to it."""
        from azure.ai.voicelive.aio import ConnectionError

        self._seq += 1
        event.setdefault("event_id", str(outbound.EventId(outbound.Purpose.OTHER, self._seq)))
        try:
            await conn.send(event)
        except ConnectionError as e:
            raise _Dropped(f"send failed: {e.__cause__ or e}") from None

    def _renewal_due(self) -> bool:
        if self._expires_at is None or self._connected_at is None:
            return False
        if time.monotonic() - self._connected_at < self._t.renew_floor_s:
            return False  # never renew more often than the floor, whatever the clocks say
        connected_wall = time.time() - (time.monotonic() - self._connected_at)
        margin = min(self._t.renew_margin_s, 0.25 * max(self._expires_at - connected_wall, 0.0))
        return time.time() >= self._expires_at - margin
