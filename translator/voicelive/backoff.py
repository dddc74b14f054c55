"""Reconnect delays: exponential backoff with full jitter and a cap (pure)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    initial_s: float = 0.5
    cap_s: float = 15.0
    floor_s: float = 0.0
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def next_delay(self, *, throttled: bool = False) -> float:
        """The delay before the next attempt; throttling waits at least a second."""
        ceiling = min(self.cap_s, self.initial_s * (2**self.attempt))
        self.attempt += 1
        delay = self.rng.uniform(ceiling / 2, ceiling)
        return max(delay, 1.0 if throttled else self.floor_s)

    def reset(self) -> None:
        self.attempt = 0
