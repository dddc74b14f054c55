"""Opening a container or URL with PyAV, and the one-line words for what went wrong.

A URL never appears in a message or log with its user name, password or query string:
those often carry a stream key or token (``rtmp://user:key@host/app``,
``https://cdn/live.m3u8?token=...``).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import av
import structlog

from translator.audio.errors import AudioFileError
from translator.audio.urls import is_url, source_name

log = structlog.get_logger(__name__)

_USERINFO = re.compile(r"://[^/@\s]+@")


def reason(error: BaseException) -> str:
    """FFmpeg's words without the errno and the file name it repeats."""
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return " ".join(str(text).split()).rstrip(".")


def describe_streams(container: Any) -> str:
    kinds = [f"{s.type} {s.codec_context.name}" for s in container.streams]
    return "streams: " + ", ".join(kinds) if kinds else "no streams at all"


def open_container(spec: str, timeout_s: float) -> Any:
    """``av.open`` for reading, with network timeouts and reconnects; :class:`AudioFileError` on failure."""
    name = source_name(spec)
    options: dict[str, str] = {}
    if is_url(spec):
        _route_ffmpeg_logs()
        if spec.lower().startswith(("http://", "https://")):
            options.update(reconnect="1", reconnect_streamed="1", reconnect_delay_max="4")
    try:
        container = av.open(spec, mode="r", options=options, timeout=(timeout_s, timeout_s))
    except av.error.FFmpegError as e:
        where = "input" if is_url(spec) else "file"
        raise AudioFileError(f"cannot open {where} {name}: {reason(e)}") from e
    except (OSError, ValueError) as e:
        raise AudioFileError(f"cannot open {name}: {reason(e)}") from e
    return container


class _FfmpegLogBridge(logging.Handler):
    """FFmpeg's reconnect notices → one ``input_reconnecting`` event; everything else at debug level."""

    def emit(self, record: logging.LogRecord) -> None:
        message = _USERINFO.sub("://", " ".join(record.getMessage().split()))
        if "reconnect" in message.lower():
            log.warning("input_reconnecting", detail=message)
        else:
            log.debug("ffmpeg", component=record.name, detail=message)


def _route_ffmpeg_logs() -> None:
    """Let FFmpeg's warnings reach Python logging (PyAV keeps them silent by default), through the bridge."""
    logger = logging.getLogger("libav")
    if not any(isinstance(h, _FfmpegLogBridge) for h in logger.handlers):
        logger.addHandler(_FfmpegLogBridge())
        logger.propagate = False
        av.logging.set_level(av.logging.WARNING)
