"""QR codes of the listener address (segno): SVG for ``/qr``, text for the terminal."""

from __future__ import annotations

import io

import segno

_HALF_BLOCKS = {(False, False): "█", (False, True): "▀", (True, False): "▄", (True, True): " "}


def qr_svg(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=10, border=2, xmldecl=False)
    return out.getvalue()


def qr_text(url: str) -> str:
    """The code in half-block characters (two modules per character cell), dark on light."""
    qr = segno.make(url, error="m")
    rows = [[bool(m) for m in row] for row in qr.matrix_iter(scale=1, border=2)]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    lines = []
    for top, bottom in zip(rows[0::2], rows[1::2], strict=True):
        chars = []
        for t, b in zip(top, bottom, strict=True):
            # light modules are drawn (block characters), dark ones left blank: works on dark terminals
            chars.append(
                {(False, False): "█", (False, True): "▀", (True, False): "▄", (True, True): " "}[(t, b)]
            )
        lines.append("".join(chars))
    return "\n".join(lines)
