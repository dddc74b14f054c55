"""The input clock: where on the wall clock a point of the input timeline was (pure).

Latency figures count from when speech was heard, but utterance times are on the input
timeline (samples since the input began). ``InputClock`` remembers the newest input
point and the monotonic time it arrived, and maps any earlier point back from there.
"""

from __future__ import annotations

import time


class InputClock:
    def __init__(self) -> None:
        self._input_ms = 0
        self._wall_s = time.monotonic()

    def advance(self, input_ms: int, wall_s: float) -> None:
        """The input reached ``input_ms`` at monotonic time ``wall_s``."""
        self._input_ms, self._wall_s = input_ms, wall_s

    def wall_at(self, input_ms: int) -> float:
        """The monotonic time at which the input was at ``input_ms``."""
        return self._wall_s - (self._input_ms - input_ms) / 1000.0
