"""Hostile-service faults: a server that misbehaves the way a broken or malicious one would.

Kept apart from ``faults.py`` (faults a real service shows in normal operation) so the
hardening tests can ask for them by name, from Python or a scenario file:

* ``raw_frames`` (``connection``, ``frames``): right after that connection's first
  ``session.updated``, send these text frames verbatim (``[]``, ``null``, ``5``, JSON
  nested 100,000 deep, ...), then carry on as usual;
* ``update_error`` (``connection``, ``code``): answer that connection's
  ``session.update`` with an ``error`` of this code (``rate_limit_exceeded``,
  ``server_error``, ``invalid_value``...) instead of ``session.updated``;
* ``hang_handshake`` (``count``): the first N authenticated handshakes are accepted
  on TCP and never answered;
* ``expires_at`` (``seconds``): the ``expires_at`` sent in ``session.created``, as
  epoch seconds (0, or a time in the past);
* ``echo`` (``reason``): this text is appended to every ``message`` and ``reason``
  field the emulator sends (a service that echoes the key in free text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HOSTILE_KINDS = frozenset({"raw_frames", "update_error", "hang_handshake", "expires_at", "echo"})
_FREE_TEXT = frozenset({"message", "reason"})


@dataclass
class HostilePlan:
    raw_frames: dict[int, list[str]] = field(default_factory=dict)
    update_errors: dict[int, str] = field(default_factory=dict)
    hang_handshakes: int = 0
    expires_at_s: float | None = None
    echo: str = ""
    _hung: int = field(default=0, repr=False)

    def apply(self, raw: dict[str, Any]) -> None:
        """One scenario entry (already validated) into the plan."""
        kind = raw["kind"]
        connection = int(raw.get("connection", 0))
        if kind == "raw_frames":
            self.raw_frames.setdefault(connection, []).extend(str(f) for f in raw.get("frames", []))
        elif kind == "update_error":
            self.update_errors[connection] = str(raw.get("code") or "server_error")
        elif kind == "hang_handshake":
            self.hang_handshakes = max(self.hang_handshakes, int(raw.get("count", 1)))
        elif kind == "expires_at":
            self.expires_at_s = float(raw.get("seconds", 0))
        elif kind == "echo":
            self.echo = str(raw.get("reason") or "")

    def merge(self, other: HostilePlan) -> None:
        for k, frames in other.raw_frames.items():
            self.raw_frames.setdefault(k, []).extend(frames)
        self.update_errors.update(other.update_errors)
        self.hang_handshakes = max(self.hang_handshakes, other.hang_handshakes)
        if other.expires_at_s is not None:
            self.expires_at_s = other.expires_at_s
        self.echo = self.echo or other.echo

    def hang(self) -> bool:
        """True when this handshake is to hang (counts it)."""
        if self._hung < self.hang_handshakes:
            self._hung += 1
            return True
        return False


def with_echo(fields: dict[str, Any], echo: str) -> dict[str, Any]:
    """``fields`` with ``echo`` appended to every free-text field, at any depth."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, dict):
            out[key] = with_echo(value, echo)
        elif key in _FREE_TEXT and isinstance(value, str):
            out[key] = f"{value} {echo}"
        else:
            out[key] = value
    return out
