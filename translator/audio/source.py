"""``open_source``: a spec string → an :class:`AudioSource` (a file or a microphone)."""

from __future__ import annotations

from pathlib import Path

from translator.audio.chunk import AudioSource
from translator.audio.devices import resolve_device
from translator.audio.errors import AudioFileError
from translator.audio.file_source import FileSource
from translator.audio.mic import MicSource


def open_source(
    spec: str,
    *,
    sample_rate_hz: int = 24_000,
    chunk_ms: int = 20,
    realtime: bool = True,
    trailing_silence_ms: int = 0,
) -> AudioSource:
    """``"mic"`` (default input), ``"mic:NAME_OR_INDEX"`` (see ``devices.py`` for the syntax) or a file path.

    Unknown devices raise :class:`AudioDeviceError`, unreadable files :class:`AudioFileError`,
    both with one line fit for a person. ``realtime`` and ``trailing_silence_ms`` apply to files.
    """
    if spec == "mic" or spec.startswith("mic:"):
        device = resolve_device(spec[4:] or "default", "input")
        return MicSource(device, sample_rate_hz=sample_rate_hz, chunk_ms=chunk_ms)
    path = Path(spec).expanduser()
    if not path.exists():
        raise AudioFileError(f"audio file {spec!r} does not exist (use 'mic' or 'mic:NAME' for a microphone)")
    return FileSource(
        path,
        sample_rate_hz=sample_rate_hz,
        chunk_ms=chunk_ms,
        realtime=realtime,
        trailing_silence_ms=trailing_silence_ms,
    )
