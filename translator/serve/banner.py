"""What the run shows at start when it serves an audience: the URLs and a QR code (stderr,
so stdout stays the subtitle lines)."""

from __future__ import annotations

import sys
from typing import TextIO

from translator.serve.addresses import listener_urls
from translator.serve.options import ServeOptions
from translator.serve.qr import qr_text


def banner(options: ServeOptions, port: int) -> str:
    urls = listener_urls(options, port)
    lines = ["translator: listeners, open:", *(f"  {u}" for u in urls)]
    if options.loopback:
        lines.append("  (this machine only; --serve 0.0.0.0:PORT serves your network)")
    else:
        scheme = "https" if options.tls else "http"
        query = "" if options.access_code is None else f"?code={options.access_code}"
        lines.append(f"  on this machine: {scheme}://127.0.0.1:{port}/{query}")
        if not options.tls:
            lines.append("  (phones get captions; for their audio the page needs https: --serve-tls auto)")
    base, _, query = urls[0].partition("?")
    query = f"?{query}" if query else ""
    lines.append(f"  overlay: {base}overlay{query}  QR code: {base}qr{query}")
    return "\n".join([qr_text(urls[0]), *lines]) + "\n"


def print_banner(options: ServeOptions, port: int, stream: TextIO | None = None) -> None:
    out = stream or sys.stderr
    out.write(banner(options, port))
    out.flush()
