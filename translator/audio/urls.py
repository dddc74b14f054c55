"""Input specs that are URLs, and how a URL is named in messages (pure; imports nothing heavy).

A URL never appears in a message or log with its user name, password or query string:
those often carry a stream key or token (``rtmp://user:key@host/app``,
``https://cdn/live.m3u8?token=...``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

URL_SCHEMES = ("http", "https", "rtmp", "rtmps", "rtsp", "srt", "udp", "tcp")
"""Icecast and HLS are read over http(s)."""


def is_url(spec: str) -> bool:
    """``scheme://...`` with a scheme FFmpeg reads from the network."""
    scheme, sep, _ = spec.partition("://")
    return bool(sep) and scheme.lower() in URL_SCHEMES


def source_name(spec: str) -> str:
    """How an input is named in messages: a file as given, a URL without credentials or query."""
    if not is_url(spec):
        return repr(spec)
    parts = urlsplit(spec)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    query = "?…" if parts.query else ""
    return repr(f"{parts.scheme}://{host}{parts.path}{query}")
