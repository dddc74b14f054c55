"""C decoders (libmpg123 inside libsndfile) that print to file descriptor 2 themselves.

``captured_stderr()`` points fd 2 at a temporary file for the duration of one call on the
event-loop thread (a header read, one block of samples), so their lines never reach the
user's terminal or a JSON log; it returns how many lines they wrote, which the caller logs
once at debug level. Python code writes nothing to stderr during such a call.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator


class Captured:
    lines = 0


@contextlib.contextmanager
def captured_stderr() -> Iterator[Captured]:
    result = Captured()
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield result
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            result.lines = sink.read().count(b"\n")
