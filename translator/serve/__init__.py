"""The audience: a listener page, a caption overlay, caption events and files, audio for
listeners' phones, and a broadcast feed. An output like ``subtitles/``: it consumes the
internal events and can be left out without changing anything upstream.

    hub.py       captions (``captions.py``, ``cuefiles.py``) and one Opus channel per language
    channel.py   encode once, fan out: a ring of frames, a cursor per listener, skip/drop policy
    routes.py    aiohttp routes; server.py runs them on a thread of their own
    static/      the pages (listener, overlay); qr.py, addresses.py, banner.py for start-up
"""

from __future__ import annotations

from translator.serve.options import ServeOptions, parse_listen
from translator.serve.server import AudienceServer

__all__ = ["AudienceServer", "ServeOptions", "parse_listen"]
