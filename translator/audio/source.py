"""``open_source``: a spec string → an :class:`AudioSource` (a file, a URL, a microphone, system audio).

Which reader takes a file: libsndfile (:class:`FileSource`) for plain PCM and FLAC
containers, where it is exact and the fastest (figures in ``docs/inputs.md``);
FFmpeg through PyAV (:class:`AvSource`) for everything else: video containers,
compressed audio (AAC, MP3, Opus, Vorbis...), and every network URL.
"""

from __future__ import annotations

from pathlib import Path

from translator.audio.chunk import AudioSource
from translator.audio.devices import resolve_device
from translator.audio.errors import AudioFileError
from translator.audio.file_source import FileSource
from translator.audio.mic import MicSource
from translator.audio.urls import is_url

SOUNDFILE_FORMATS = frozenset({"WAV", "WAVEX", "FLAC", "AIFF", "W64", "RF64", "CAF", "AU"})
"""libsndfile's major formats read by :class:`FileSource`; any other file goes through FFmpeg."""


def open_source(
    spec: str,
    *,
    sample_rate_hz: int = 24_000,
    chunk_ms: int = 20,
    realtime: bool = True,
    trailing_silence_ms: int = 0,
    audio_stream: int | None = None,
) -> AudioSource:
    """``"mic"`` (default input), ``"mic:NAME_OR_INDEX"`` (see ``devices.py`` for the syntax),
    ``"loopback"`` / ``"loopback:SINK"`` (``loopback.py``), a URL or a file path.

    Unknown devices raise :class:`AudioDeviceError`, unreadable files and URLs
    :class:`AudioFileError`, all with one line fit for a person. ``realtime``,
    ``trailing_silence_ms`` and ``audio_stream`` apply to files and URLs.
    """
    live_device = spec in ("mic", "loopback") or spec.startswith(("mic:", "loopback:"))
    if live_device and audio_stream is not None:
        raise AudioFileError(f"--audio-stream chooses a stream of a file or URL; {spec!r} is a device")
    if spec == "mic" or spec.startswith("mic:"):
        device = resolve_device(spec[4:] or "default", "input")
        return MicSource(device, sample_rate_hz=sample_rate_hz, chunk_ms=chunk_ms)
    if spec == "loopback" or spec.startswith("loopback:"):
        from translator.audio.loopback import open_loopback

        return open_loopback(spec, sample_rate_hz=sample_rate_hz, chunk_ms=chunk_ms)
    if is_url(spec):
        return _av(spec, sample_rate_hz, chunk_ms, realtime, trailing_silence_ms, audio_stream)
    path = Path(spec).expanduser()
    if not path.exists():
        raise AudioFileError(
            f"audio file {spec!r} does not exist (use 'mic', 'mic:NAME', 'loopback' or a URL for live input)"
        )
    if path.is_dir():
        raise AudioFileError(f"cannot read audio file {spec!r}: it is a directory")
    if path.is_file() and path.stat().st_size == 0:
        raise AudioFileError(f"cannot read audio file {spec!r}: the file is empty (0 bytes)")
    # A FIFO or a device is not sniffed here: opening it may wait for a writer for ever, so
    # soundfile opens it in its own thread (``file_source.py``).
    if audio_stream in (None, 0) and (not path.is_file() or _soundfile_format(path) in SOUNDFILE_FORMATS):
        return FileSource(
            path,
            sample_rate_hz=sample_rate_hz,
            chunk_ms=chunk_ms,
            realtime=realtime,
            trailing_silence_ms=trailing_silence_ms,
        )
    return _av(path, sample_rate_hz, chunk_ms, realtime, trailing_silence_ms, audio_stream)


def _av(
    spec: str | Path,
    sample_rate_hz: int,
    chunk_ms: int,
    realtime: bool,
    trailing_silence_ms: int,
    audio_stream: int | None,
) -> AudioSource:
    from translator.audio.av_source import AvSource  # PyAV loads FFmpeg: only when needed

    return AvSource(
        spec,
        sample_rate_hz=sample_rate_hz,
        chunk_ms=chunk_ms,
        realtime=realtime,
        trailing_silence_ms=trailing_silence_ms,
        audio_stream=audio_stream,
    )


def _soundfile_format(path: Path) -> str | None:
    import soundfile

    try:
        return str(soundfile.info(str(path)).format)
    except (soundfile.SoundFileError, RuntimeError, OSError, ValueError, TypeError):
        return None
