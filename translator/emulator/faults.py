"""Faults the emulator can inject, set from a test (Python) or from a scenario file.

Connection-level faults act on every connection (or on connection number ``k``,
counted from 0 in handshake order). Utterance faults are keyed on the scenario
utterance index (0-based; for the unscripted model, the connection's k-th spoken
item) and fire **once**, the first time that utterance is answered (or
transcribed), so a client that reconnects and redoes the utterance succeeds.

The plan is plain mutable state owned by one :class:`~translator.emulator.server.Emulator`;
tests change it between connections.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal, get_args

from translator.emulator.hostile import HostilePlan

UtteranceFaultKind = Literal[
    "close_1011_mid_response",
    "tcp_abort_mid_response",
    "error_event",
    "transcription_failed",
    "response_failed",
    "response_incomplete",
    "stall_mid_response",
    "warning_event",
    "oversized_frame",
]
UTTERANCE_FAULT_KINDS: frozenset[str] = frozenset(get_args(UtteranceFaultKind))
CONNECTION_FAULT_KINDS = frozenset(
    {
        "http_403_first_n",
        "http_404_first_n",
        "http_429_first_n",
        "http_5xx_first_n",
        "max_sessions_per_key",
        "expire_after_s",
        "no_pong",
        "stall",
        "unknown_events",
        "event_latency",
    }
)
OVERSIZED_FRAME_BYTES = 4 * 1024 * 1024 + 64 * 1024
"""Over the SDK's 4 MiB ``max_msg_size``: the client closes with 1009."""
MID_RESPONSE_KINDS: frozenset[str] = UTTERANCE_FAULT_KINDS - {"transcription_failed"}


@dataclass(frozen=True, slots=True)
class UtteranceFault:
    """One fault on one utterance.

    ``code`` is the ``error.code`` of ``error_event`` (default ``server_error``; e.g.
    ``rate_limit_exceeded``) or the ``warning.code`` of ``warning_event`` (default
    ``emulated_warning``); ``ends_response`` makes ``error_event`` end the running
    response with a failed ``response.done``, as a real mid-response server error
    does (by default the response continues); ``reason`` is the
    ``status_details.reason`` of ``response_incomplete``; ``seconds`` the length of
    ``stall_mid_response``.
    """

    kind: UtteranceFaultKind
    utterance: int
    code: str | None = None
    reason: str = "max_output_tokens"
    seconds: float = 5.0
    ends_response: bool = False


@dataclass
class FaultPlan:
    """All knobs. ``stall_connections`` maps a connection number to seconds of silence
    that start right after its first ``session.updated`` (events queue up meanwhile).

    The ``http_*_first_n`` switches refuse the first N authenticated handshakes with
    that status (``http_5xx_status``: 500-599). Several switches queue up in the order
    403, 404, 429, 5xx. ``max_sessions_per_key`` answers 429 to a handshake whose key
    already has that many open sessions.
    """

    http_403_first_n: int = 0
    http_404_first_n: int = 0
    http_429_first_n: int = 0
    http_5xx_first_n: int = 0
    http_5xx_status: int = 503
    max_sessions_per_key: int | None = None
    expire_after_s: float | None = None
    no_pong_connections: set[int] = field(default_factory=set)
    stall_connections: dict[int, float] = field(default_factory=dict)
    unknown_events: bool = False
    event_latency_s: float = 0.0
    """Every server event reaches the client this much later (``Outbox.latency_s``)."""
    utterance_faults: list[UtteranceFault] = field(default_factory=list)
    hostile: HostilePlan = field(default_factory=HostilePlan)
    _fired: set[int] = field(default_factory=set, repr=False)
    _rejected: dict[str, int] = field(default_factory=dict, repr=False)

    def add(self, kind: UtteranceFaultKind, utterance: int, **details: str | float | bool) -> UtteranceFault:
        fault = UtteranceFault(kind, utterance, **details)  # type: ignore[arg-type]
        self.utterance_faults.append(fault)
        return fault

    def reject_handshake(self) -> int | None:
        """The HTTP status to refuse this handshake with, or None to let it through."""
        switches = (
            ("403", self.http_403_first_n, 403),
            ("404", self.http_404_first_n, 404),
            ("429", self.http_429_first_n, 429),
            ("5xx", self.http_5xx_first_n, self.http_5xx_status),
        )
        for name, count, status in switches:
            if self._rejected.get(name, 0) < count:
                self._rejected[name] = self._rejected.get(name, 0) + 1
                return status
        return None

    def take(self, kinds: Collection[str], utterance: int | None) -> UtteranceFault | None:
        """The first unfired fault of one of ``kinds`` for ``utterance``; marks it fired."""
        if utterance is None:
            return None
        for index, fault in enumerate(self.utterance_faults):
            if index not in self._fired and fault.kind in kinds and fault.utterance == utterance:
                self._fired.add(index)
                return fault
        return None

    def fired(self) -> list[UtteranceFault]:
        return [f for i, f in enumerate(self.utterance_faults) if i in self._fired]

    def refused(self) -> dict[str, int]:
        """Handshakes refused so far by each ``http_*_first_n`` switch ("403", "404", "429", "5xx")."""
        return dict(self._rejected)

    def merge(self, other: FaultPlan) -> None:
        """Add another plan's faults (used to fold a scenario's faults into the options')."""
        self.http_403_first_n = max(self.http_403_first_n, other.http_403_first_n)
        self.http_404_first_n = max(self.http_404_first_n, other.http_404_first_n)
        self.http_429_first_n = max(self.http_429_first_n, other.http_429_first_n)
        if other.http_5xx_first_n:
            self.http_5xx_first_n = max(self.http_5xx_first_n, other.http_5xx_first_n)
            self.http_5xx_status = other.http_5xx_status
        if other.max_sessions_per_key is not None:
            limits = [n for n in (self.max_sessions_per_key, other.max_sessions_per_key) if n is not None]
            self.max_sessions_per_key = min(limits)
        if other.expire_after_s is not None:
            self.expire_after_s = other.expire_after_s
        self.no_pong_connections |= other.no_pong_connections
        self.stall_connections.update(other.stall_connections)
        self.unknown_events = self.unknown_events or other.unknown_events
        self.event_latency_s = max(self.event_latency_s, other.event_latency_s)
        self.utterance_faults.extend(other.utterance_faults)
        self.hostile.merge(other.hostile)
