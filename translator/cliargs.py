"""Value checks for command-line options (argparse ``type=`` functions, pure).

Each rejects a bad value with a message argparse turns into one line and exit 2:
``translator: error: argument --heartbeat: ...``. No value reaches the run unchecked.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def seconds(low: float = 0.0, high: float = 86_400.0, *, allow_zero: bool = False) -> Callable[[str], float]:
    """A duration in seconds: a finite number above ``low`` (or equal, with ``allow_zero``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        ok = math.isfinite(value) and (value >= low if allow_zero else value > low) and value <= high
        if not ok:
            bound = f"at least {low:g}" if allow_zero else f"more than {low:g}"
            raise argparse.ArgumentTypeError(f"{text!r}: give seconds, {bound} and at most {high:g}")
        return value

    return parse


def integer(low: int, high: int, what: str = "a whole number") -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r}: give {what} from {low} to {high}")
        return value

    return parse


def number(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"{text!r}: give a number from {low:g} to {high:g}")
        return value

    return parse


tcp_port = integer(0, 65_535, "a TCP port")
