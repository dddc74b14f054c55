"""Hostile text: cue layout stays linear in the text and caps a cue's text by its rule."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.e2e.conftest import ROOT
from translator.subtitles.layout import MAX_TEXT_CHARS, cap_text, split_text

BOUND_S = 20.0  # generous; each case takes well under a second when linear


@pytest.mark.parametrize(
    "text",
    [
        "' '.join(['palabra'] * 4000)",  # run-on, no full stop: took 6.7 s
        "' '.join(['palabra'] * 440_000)",  # 3.5 MB
        "'uno, dos, ' * 50_000",
        "'中文' * 1_000_000",
        "'!' * 3_500_000",
    ],
)
def test_layout_of_hostile_text_completes_within_bounds(text: str) -> None:
    child = textwrap.dedent(
        f"""
        from translator.subtitles.layout import split_pair, split_text
        text = {text}
        chunks = split_text(text, 37, 2)
        pairs = split_pair(text, 37, "short", 37, 2)
        print(len(chunks), len(pairs))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, cwd=ROOT, timeout=BOUND_S, check=False
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[0]) >= 1


def test_cue_text_is_capped_at_a_word_boundary() -> None:
    text = " ".join(["palabra"] * 5000)
    capped = cap_text(text)
    assert len(capped) <= MAX_TEXT_CHARS + 1 and capped.endswith("palabra…")
    laid_out = " ".join(c.text for c in split_text(text, 37, 2))
    assert laid_out == capped
    assert cap_text("short") == "short"
