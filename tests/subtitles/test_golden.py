"""Golden files: every format for every option set, byte for byte.

Regenerate after an intended change with ``UPDATE_GOLDEN=1 python -m pytest tests/subtitles``
and review the diff.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from tests.subtitles.scenario import two_way_run
from tests.subtitles.variants import FORMATS, GOLDEN, VARIANTS, write_variant
from translator.subtitles import SubtitleOptions, open_stdout_sink

UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def _check(actual: str, golden: Path) -> None:
    if UPDATE:
        golden.write_text(actual, encoding="utf-8")
    assert golden.exists(), f"missing golden file {golden.name}; run with UPDATE_GOLDEN=1"
    assert actual == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_file_matches_golden(name: str, fmt: str, tmp_path: Path) -> None:
    written = write_variant(name, fmt, tmp_path)
    _check(written.read_bytes().decode("utf-8"), GOLDEN / f"{name}.{fmt}")


STDOUT_VARIANTS = {
    "stdout-default": (SubtitleOptions(), False),
    "stdout-translation-first": (SubtitleOptions(bilingual="translation-first"), False),
    "stdout-source": (SubtitleOptions(track="source"), False),
    "stdout-quiet-mask": (SubtitleOptions(profanity="mask"), True),
}


@pytest.mark.parametrize("name", sorted(STDOUT_VARIANTS))
def test_stdout_matches_golden(name: str) -> None:
    options, quiet = STDOUT_VARIANTS[name]
    stream = io.StringIO()
    sink = open_stdout_sink(options, quiet=quiet, stream=stream)
    for event in two_way_run():
        sink.handle(event)
    sink.close()
    _check(stream.getvalue(), GOLDEN / f"{name}.txt")
