"""What audio sources produce: mono int16 chunks on the source's own timeline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

BYTES_PER_SAMPLE = 2


@dataclass(frozen=True, slots=True)
class AudioChunk:
    """Mono signed 16-bit little-endian PCM at the source's ``sample_rate_hz``."""

    pcm: bytes
    start_ms: int
    """Position of the first sample on this source's timeline (counted from samples)."""

    def duration_ms(self, sample_rate_hz: int) -> float:
        return len(self.pcm) / BYTES_PER_SAMPLE * 1000.0 / sample_rate_hz


class AudioSource(Protocol):
    """A file or a microphone.

    ``chunks()`` ends at the end of a file; a microphone runs until ``aclose()``.
    """

    sample_rate_hz: int

    def chunks(self) -> AsyncIterator[AudioChunk]: ...

    async def aclose(self) -> None: ...
