"""A 16-bit mono PCM WAV file whose header is valid after every ``flush()``.

The RIFF and data sizes are rewritten in place on each flush, so a run that crashes
leaves a file every player opens (holding audio up to the last flush). Sizes are
capped at 4 GiB, the format's limit (about 24 hours at 24 kHz mono).
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

from translator.audio.errors import AudioFileError
from translator.audio.resample import Int16Array

_HEADER_BYTES = 44
_MAX_DATA_BYTES = 0xFFFFFFFF - 36


def wav_header(sample_rate_hz: int, data_bytes: int) -> bytes:
    data_bytes = min(data_bytes, _MAX_DATA_BYTES)
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + data_bytes,
        b"WAVE",
        b"fmt ",
        16,
        1,
        1,
        sample_rate_hz,
        sample_rate_hz * 2,
        2,
        16,
        b"data",
        data_bytes,
    )


class WavWriter:
    def __init__(self, path: Path, sample_rate_hz: int) -> None:
        self.path = path
        self.sample_rate_hz = sample_rate_hz
        self.frames = 0
        try:
            self._file: BinaryIO | None = open(path, "wb")  # noqa: SIM115 - closed in close()
            self._file.write(wav_header(sample_rate_hz, 0))
            self._file.flush()  # a valid empty WAV on disk at once: a kill before any audio leaves one
        except OSError as e:
            raise AudioFileError(f"cannot write audio file {str(path)!r}: {e.strerror or e}") from e

    def write(self, samples: Int16Array) -> None:
        if self._file is None or samples.size == 0:
            return
        try:
            self._file.write(samples.astype("<i2").tobytes())
        except OSError as e:
            raise AudioFileError(f"cannot write audio file {str(self.path)!r}: {e.strerror or e}") from e
        self.frames += samples.size

    def flush(self) -> None:
        """Make the file valid on disk as it stands (header sizes rewritten, buffers flushed)."""
        if self._file is None:
            return
        try:
            end = self._file.tell()
            self._file.seek(0)
            self._file.write(wav_header(self.sample_rate_hz, self.frames * 2))
            self._file.seek(end)
            self._file.flush()
        except OSError as e:
            raise AudioFileError(f"cannot write audio file {str(self.path)!r}: {e.strerror or e}") from e

    def close(self) -> None:
        if self._file is None:
            return
        try:
            self.flush()
        finally:
            self._file.close()
            self._file = None
