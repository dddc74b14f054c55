"""The audience: a listener page, a caption overlay, caption events and files, audio for
listeners' phones, and a broadcast feed. An output like ``subtitles/``: it consumes the
internal events and can be left out without changing anything upstream.

    hub.py        captions (``captions.py``, ``cuefiles.py``) and one Opus channel per language (``opus.py``)
    channel.py    encode once: a ring of frames, a cursor per listener, skipping by age
    fanout.py     one delivery round per wake-up: the same framed message to every listener's transport
    routes.py     aiohttp routes; server.py runs them on a thread and loop of their own
    broadcast.py  Ogg/Opus to Icecast;  tls.py  HTTPS (phones need it for audio)
    static/       the pages (listener, overlay); qr.py, addresses.py, banner.py for start-up
"""

from __future__ import annotations

from translator.serve.options import ServeOptions, parse_listen
from translator.serve.server import AudienceServer

__all__ = ["AudienceServer", "ServeOptions", "parse_listen"]
