"""A disk that fills mid-run: every cue and JSONL line is whole or absent, the failure is
one line with a non-zero exit, and the other outputs get every translation."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import srt

from tests.hostile.server import expected_translations, run_hostile

LONG = " ".join(["palabra"] * 220)  # about 1.6 kB per line: a few lines fill what is left


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        # Leave two pages free: the first lines fit, a later one is cut by the kernel part-way.
        (mount / "filler").write_bytes(b"\0" * (64 * 1024 - 8 * 1024))
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _long_translations(data: dict[str, Any]) -> None:
    # The emulator speaks 65 ms a character by default: 100 s of paced speech for each long
    # line, which made this the slowest test but one (66-79 s) and proves nothing here.
    data["ms_per_char"] = 5
    for u in data["utterances"]:
        lang = next(iter(u["translations"]))
        u["translations"] = {lang: f"{u['translations'][lang]} {LONG}"}


async def test_full_disk_leaves_whole_cues_and_the_rest_complete(tmp_path: Path, full_disk: Path) -> None:
    safe = tmp_path / "out"
    outputs = (
        "--subtitles", str(full_disk / "full.jsonl"),
        "--subtitles", str(full_disk / "full.srt"),
        "--subtitles", str(safe / "all.jsonl"),
        "--subtitles", str(safe / "all.vtt"),
    )  # fmt: skip
    outcome = await run_hostile(tmp_path, [], edit=_long_translations, outputs=outputs)
    stderr = outcome.stderr.decode(errors="replace")
    assert outcome.code != 0, stderr[-2000:]
    assert "Traceback" not in stderr and "internal error" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("translator: error:") and "No space left" in last and "full.srt" in last
    assert outcome.logged("output_failed") or outcome.logged("output_write_failed")
    # The other outputs have every translation.
    got = [t["text"] for t in outcome.translations()]
    assert [g.split(" palabra")[0] for g in got] == expected_translations()
    # What the full disk holds parses: whole JSON lines, whole SRT cues.
    lines = (full_disk / "full.jsonl").read_text(encoding="utf-8")
    assert lines == "" or lines.endswith("\n")
    records = [json.loads(x) for x in lines.splitlines()]
    assert all(r["text"] for r in records)
    text = (full_disk / "full.srt").read_text(encoding="utf-8")
    cues = list(srt.parse(text))
    assert text == "" or text.endswith("\n\n")
    assert all(c.content.strip() for c in cues)
    assert (full_disk / "full.jsonl").stat().st_size + (full_disk / "full.srt").stat().st_size > 0
