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

UtteranceFaultKind = Literal[
    "close_1011_mid_response",
    "tcp_abort_mid_response",
    "error_event",
    "transcription_failed",
    "response_failed",
    "response_incomplete",
    "stall_mid_response",
]
UTTERANCE_FAULT_KINDS: frozenset[str] = frozenset(get_args(UtteranceFaultKind))
CONNECTION_FAULT_KINDS = frozenset(
    {"http_429_first_n", "expire_after_s", "no_pong", "stall", "unknown_events"}
)
MID_RESPONSE_KINDS: frozenset[str] = UTTERANCE_FAULT_KINDS - {"transcription_failed"}


@dataclass(frozen=True, slots=True)
class UtteranceFault:
    """One fault on one utterance.

    ``code`` is the ``error.code`` of ``error_event`` (``rate_limit_exceeded``,
    ``server_error``...); ``reason`` the ``status_details.reason`` of
    ``response_incomplete``; ``seconds`` the length of ``stall_mid_response``.
    """

    kind: UtteranceFaultKind
    utterance: int
    code: str = "server_error"
    reason: str = "max_output_tokens"
    seconds: float = 5.0


@dataclass
class FaultPlan:
    """All knobs. ``stall_connections`` maps a connection number to seconds of silence
    that start right after its first ``session.updated`` (events queue up meanwhile)."""

    http_429_first_n: int = 0
    expire_after_s: float | None = None
    no_pong_connections: set[int] = field(default_factory=set)
    stall_connections: dict[int, float] = field(default_factory=dict)
    unknown_events: bool = False
    utterance_faults: list[UtteranceFault] = field(default_factory=list)
    _fired: set[int] = field(default_factory=set, repr=False)
    _rejected: int = field(default=0, repr=False)

    def add(self, kind: UtteranceFaultKind, utterance: int, **details: str | float) -> UtteranceFault:
        fault = UtteranceFault(kind, utterance, **details)  # type: ignore[arg-type]
        self.utterance_faults.append(fault)
        return fault

    def reject_handshake(self) -> bool:
        """True while the first ``http_429_first_n`` handshakes are being refused."""
        if self._rejected < self.http_429_first_n:
            self._rejected += 1
            return True
        return False

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

    def merge(self, other: FaultPlan) -> None:
        """Add another plan's faults (used to fold a scenario's faults into the options')."""
        self.http_429_first_n = max(self.http_429_first_n, other.http_429_first_n)
        if other.expire_after_s is not None:
            self.expire_after_s = other.expire_after_s
        self.no_pong_connections |= other.no_pong_connections
        self.stall_connections.update(other.stall_connections)
        self.unknown_events = self.unknown_events or other.unknown_events
        self.utterance_faults.extend(other.utterance_faults)
