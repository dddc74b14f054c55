"""Audio files (WAV, FLAC, OGG, anything libsndfile reads) as an :class:`AudioSource`.

Any sample rate and channel count in; mono int16 chunks at ``sample_rate_hz`` out,
through the same streaming resampler as the microphone. ``realtime=True`` paces the
chunks by the monotonic clock: chunk *k* is handed out when ``t0 + (samples up to its
end) / rate`` is reached, computed from the start, so no drift accumulates over long
files. ``realtime=False`` hands them out as fast as the consumer takes them.

A FIFO (or any file that is not a regular one) can block: opening it waits for a
writer, reading it waits for data. So it is opened and read in a daemon thread
(``blocking.py``), never on the event loop: Ctrl-C and the other sessions go on, and
a writer that never comes does not keep the process alive at exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
import structlog

from translator.audio.blocking import in_daemon_thread
from translator.audio.chunk import AudioChunk
from translator.audio.errors import AudioFileError
from translator.audio.quiet_stderr import captured_stderr
from translator.audio.resample import Conditioner, Int16Array

log = structlog.get_logger(__name__)

_READ_BLOCK_MS = 100
_READ_ERRORS = (soundfile.SoundFileError, RuntimeError, OSError, ValueError, TypeError)


class FileSource:
    """One pass over a file; ``chunks()`` may be iterated once."""

    def __init__(
        self,
        path: Path,
        *,
        sample_rate_hz: int = 24_000,
        chunk_ms: int = 20,
        realtime: bool = True,
        trailing_silence_ms: int = 0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if sample_rate_hz <= 0 or chunk_ms <= 0 or trailing_silence_ms < 0:
            raise ValueError("sample_rate_hz and chunk_ms must be positive, trailing_silence_ms >= 0")
        self.path = path
        self.sample_rate_hz = sample_rate_hz
        self.chunk_ms = chunk_ms
        self.realtime = realtime
        self.trailing_silence_ms = trailing_silence_ms
        self._clock = clock
        self._sleep = sleep
        if path.is_dir():
            raise AudioFileError(f"cannot read audio file {str(path)!r}: it is a directory")
        if path.is_file() and path.stat().st_size == 0:
            raise AudioFileError(f"cannot read audio file {str(path)!r}: the file is empty (0 bytes)")
        # libmpg123 prints its own warnings on fd 2: kept off the terminal and the logs
        self._quiet = path.suffix.lower() in (".mp3", ".mp2")
        self.decoder_messages = 0
        self._file: soundfile.SoundFile | None = None
        self._stream = not path.is_file()  # a FIFO, a character device...: may block
        self._reading = self._close_pending = False
        self.native_rate_hz = self.native_channels = 0
        if not self._stream:
            self._open()
        self._started = False
        self.content_ms = 0
        """How much of the file itself has been delivered (the trailing silence not counted)."""

    def _open(self) -> None:
        try:
            with self._decoder_output():
                self._file = soundfile.SoundFile(str(self.path))
        except _READ_ERRORS as e:
            raise AudioFileError(f"cannot read audio file {str(self.path)!r}: {_reason(e)}") from e
        self.native_rate_hz = int(self._file.samplerate)
        self.native_channels = int(self._file.channels)
        if self.native_rate_hz <= 0 or self.native_channels <= 0:
            raise AudioFileError(f"cannot read audio file {str(self.path)!r}: no audio in it")

    async def chunks(self) -> AsyncIterator[AudioChunk]:
        if self._started:
            raise RuntimeError("FileSource.chunks() can be iterated only once")
        self._started = True
        if self._stream:
            await in_daemon_thread(self._open)
        conditioner = Conditioner(self.native_rate_hz, self.sample_rate_hz, self.chunk_ms)
        block_frames = max(1, self.native_rate_hz * _READ_BLOCK_MS // 1000)
        sent_samples = 0
        t0 = self._clock()
        try:
            while self._file is not None:
                block = await self._read_stream(block_frames) if self._stream else self._read(block_frames)
                pieces = conditioner.push(block) if block.size else conditioner.finish()
                for piece in pieces:
                    yield await self._deliver(piece, sent_samples, t0)
                    sent_samples += piece.size
                    self.content_ms = sent_samples * 1000 // self.sample_rate_hz
                if not block.size:
                    break
            chunk_samples = self.sample_rate_hz * self.chunk_ms // 1000
            silence_left = self.sample_rate_hz * self.trailing_silence_ms // 1000
            while silence_left > 0 and self._file is not None:
                piece = np.zeros(min(chunk_samples, silence_left), dtype=np.int16)
                silence_left -= piece.size
                yield await self._deliver(piece, sent_samples, t0)
                sent_samples += piece.size
        finally:
            self._close_file()

    def _read(self, frames: int) -> np.ndarray[Any, np.dtype[np.float32]]:
        if self._file is None:  # closed meanwhile (aclose from the loop while a thread waited)
            return np.zeros((0, max(self.native_channels, 1)), dtype=np.float32)
        try:
            with self._decoder_output():
                data: np.ndarray[Any, np.dtype[np.float32]] = self._file.read(
                    frames, dtype="float32", always_2d=True
                )
        except _READ_ERRORS as e:
            raise AudioFileError(f"cannot read audio file {str(self.path)!r}: {_reason(e)}") from e
        return data

    async def _read_stream(self, frames: int) -> np.ndarray[Any, np.dtype[np.float32]]:
        """One read in a daemon thread. The file is never closed under a pending read:
        a close asked for meanwhile is done by the thread once its read returns."""
        self._reading = True

        def read() -> np.ndarray[Any, np.dtype[np.float32]]:
            try:
                return self._read(frames)
            finally:
                self._reading = False
                if self._close_pending:
                    self._close_file()

        return await in_daemon_thread(read)

    async def _deliver(self, piece: Int16Array, sent_samples: int, t0: float) -> AudioChunk:
        if self.realtime:
            due = t0 + (sent_samples + piece.size) / self.sample_rate_hz
            wait_s = due - self._clock()
            if wait_s > 0:
                await self._sleep(wait_s)
        return AudioChunk(piece.astype("<i2").tobytes(), sent_samples * 1000 // self.sample_rate_hz)

    @contextlib.contextmanager
    def _decoder_output(self) -> Iterator[None]:
        if not self._quiet:
            yield
            return
        with captured_stderr() as captured:
            yield
        self.decoder_messages += captured.lines

    def _close_file(self) -> None:
        if self.decoder_messages:
            log.debug("decoder_messages_hidden", path=str(self.path), lines=self.decoder_messages)
            self.decoder_messages = 0
        if self._reading:  # a daemon thread is inside read(): it closes the file when it returns
            self._close_pending = True
            return
        if self._file is not None:
            self._file.close()
            self._file = None

    def close(self) -> None:
        """Close without streaming (``translator check`` reads only the header)."""
        self._close_file()

    async def aclose(self) -> None:
        """Stop early; a running ``chunks()`` ends at its next chunk."""
        self._close_file()


def _reason(error: BaseException) -> str:
    """libsndfile's message without its own "Error opening 'path':" prefix (we name the file already)."""
    text = " ".join(str(error).split()) or type(error).__name__
    if text.startswith("Error opening ") and "': " in text:
        text = text.split("': ", 1)[1]
    return text.rstrip(".") or type(error).__name__
