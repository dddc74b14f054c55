"""Output paths that name the same file: one writer per file, or a clear refusal.

``--subtitles 'out/al-{target}.srt' --subtitles out/al-es-ES.srt`` used to open two
descriptors on one file, and the cues interleaved into garbage. Paths are compared by
their real path (symlinks, ``..``, ``./`` resolved; the file need not exist yet): the
same file asked for twice with the same content is opened once; the same file asked for
with different content (another target language) is refused.
"""

from __future__ import annotations

import os

from translator.errors import UsageError


def one_writer_per_file(wanted: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """``(path, target)`` pairs with aliases of one file folded into one (``-`` is stdout)."""
    by_file: dict[str, tuple[str, str | None]] = {}
    out: list[tuple[str, str | None]] = []
    for path, target in wanted:
        key = path if path == "-" else os.path.realpath(path)
        seen = by_file.get(key)
        if seen is None:
            by_file[key] = (path, target)
            out.append((path, target))
        elif seen[1] != target:
            raise UsageError(
                f"'{seen[0]}' and '{path}' are the same file with different content "
                f"({seen[1] or 'every direction'} / {target or 'every direction'}); give each its own path"
            )
    return out
