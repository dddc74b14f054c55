"""Pure: decoded frames with presentation times → a gap-free sample stream on the source's timeline.

Subtitle times and the translated-speech WAV are counted in samples from the start of
the input. A container's audio does not always start at zero (a video whose sound
starts at 2.5 s), timestamps jitter by a millisecond or two, a live stream may lose a
segment, and a stream may jump (a restarted encoder). :class:`Timeline` decides, for
each decoded frame, how many samples of silence go before it (a gap) or how many of its
first samples to drop (an overlap, or audio before the container's start), so that
sample *n* of the output is at ``n / rate`` seconds on the container's own timeline:

- differences up to ``tolerance_ms`` are left alone (rounded timestamps, codec delay);
- a gap is filled with silence, up to ``max_gap_s`` (``None``: any gap, which is what a
  file needs to line up with its video); a longer jump forward, or any jump backward by
  more than ``max_back_s``, re-anchors the timeline instead (the frame follows on at once)
  and is reported in :attr:`Placement.jump_s`, so a broken or restarted live stream
  neither stalls the run with hours of silence nor goes back in time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Placement:
    pad_samples: int
    """Silence to insert before the frame."""
    skip_samples: int
    """Leading samples of the frame to drop (already covered, or before the timeline's origin)."""
    jump_s: float = 0.0
    """A discontinuity absorbed by re-anchoring (seconds; positive forward), 0.0 if none."""


class Timeline:
    """One per stream. Times in seconds on the container's clock; counts in samples at ``rate_hz``."""

    def __init__(
        self,
        rate_hz: int,
        origin_s: float | None,
        *,
        tolerance_ms: int = 20,
        max_gap_s: float | None = None,
        max_back_s: float = 1.0,
    ) -> None:
        if rate_hz <= 0:
            raise ValueError(f"rate_hz must be positive, got {rate_hz}")
        self.rate_hz = rate_hz
        self.origin_s = origin_s
        """Container time of sample 0; ``None``: the first timed frame's start."""
        self.cursor = 0
        """Samples placed so far (the next frame's sample position if it follows on)."""
        self.gap_samples = 0
        """Silence inserted so far."""
        self._tolerance = rate_hz * tolerance_ms // 1000
        self._max_gap = None if max_gap_s is None else int(max_gap_s * rate_hz)
        self._max_back = int(max_back_s * rate_hz)

    def place(self, start_s: float | None, samples: int) -> Placement:
        """Where a frame of ``samples`` starting at ``start_s`` (``None``: untimed) goes."""
        if start_s is None:
            self.cursor += samples
            return Placement(0, 0)
        if self.origin_s is None:
            self.origin_s = start_s
        want = round((start_s - self.origin_s) * self.rate_hz)
        diff = want - self.cursor
        pad = skip = 0
        jump = 0.0
        if diff > self._tolerance:
            if self._max_gap is not None and diff > self._max_gap:
                jump = self._reanchor(diff)
            else:
                pad = diff
        elif diff < -self._tolerance:
            if -diff > self._max_back and self.cursor > 0:
                jump = self._reanchor(diff)
            else:
                skip = min(-diff, samples)
        self.cursor += pad + samples - skip
        self.gap_samples += pad
        return Placement(pad, skip, jump)

    def _reanchor(self, diff: int) -> float:
        """Make the frame follow on at the cursor: move the origin by the jump."""
        assert self.origin_s is not None
        self.origin_s += diff / self.rate_hz
        return diff / self.rate_hz
