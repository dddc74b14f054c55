"""Every written file checked by real parsers: the ``srt`` package, ffprobe and Chromium.

ffprobe and Chromium are installed by CI; a missing tool fails these tests on purpose.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import urllib.parse
from datetime import timedelta
from pathlib import Path

import pytest
import srt

from tests.subtitles.variants import VARIANTS, expected_cues, write_variant
from translator.subtitles import Cue, SubtitleOptions, open_subtitle_sink

NAMES = sorted(VARIANTS)


def _require(tool: str) -> str:
    path = shutil.which(tool)
    assert path is not None, f"{tool} is not installed; CI installs it and these tests need it"
    return path


def _ms(delta: timedelta) -> int:
    return round(delta.total_seconds() * 1000)


@pytest.mark.parametrize("name", NAMES)
def test_srt_package_parses_every_cue(name: str, tmp_path: Path) -> None:
    path = write_variant(name, "srt", tmp_path)
    parsed = list(srt.parse(path.read_text(encoding="utf-8")))
    cues = expected_cues(name)
    assert [p.index for p in parsed] == list(range(1, len(cues) + 1))
    assert [(_ms(p.start), _ms(p.end), p.content) for p in parsed] == [
        (c.start_ms, c.end_ms, "\n".join(c.lines)) for c in cues
    ]


def ffprobe_count(path: Path) -> int:
    out = subprocess.run(
        [_require("ffprobe"), "-v", "error", "-count_packets", "-show_entries", "stream=nb_read_packets"]
        + ["-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    value = out.stdout.strip()
    return 0 if value == "N/A" else int(value)  # N/A: a subtitle stream with no packets


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
@pytest.mark.parametrize("name", NAMES)
def testffprobe_counts_the_cues_written(name: str, fmt: str, tmp_path: Path) -> None:
    path = write_variant(name, fmt, tmp_path)
    assert ffprobe_count(path) == len(expected_cues(name))


PAGE = """<!doctype html><html><head><meta charset="utf-8"></head><body><pre id="out">waiting</pre>
<script>
const files = %s;
const results = {};
let pending = files.length;
for (const file of files) {
  const video = document.createElement("video");
  const track = document.createElement("track");
  track.kind = "subtitles"; track.src = file; track.default = true;
  video.appendChild(track); document.body.appendChild(video);
  track.track.mode = "hidden";
  const finish = (status) => {
    const cues = Array.from(track.track.cues || []).map(c => ({
      start: c.startTime, end: c.endTime, text: c.getCueAsHTML().textContent}));
    results[file] = {status, cues};
    if (--pending === 0) {
      document.getElementById("out").textContent = encodeURIComponent(JSON.stringify(results));
    }
  };
  track.addEventListener("load", () => finish("load"));
  track.addEventListener("error", () => finish("error"));
}
</script></body></html>
"""


def _chromium_cues(directory: Path, files: list[str]) -> dict[str, dict[str, object]]:
    page = directory / "page.html"
    page.write_text(PAGE % json.dumps(files), encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run(
            [_require("chromium"), "--headless", "--no-sandbox", "--disable-gpu"]
            + ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
            + ["--no-first-run", "--allow-file-access-from-files", "--virtual-time-budget=5000"]
            + [f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
        )
    start = out.stdout.find('<pre id="out">')
    assert start >= 0, f"chromium printed no page: {out.stderr[-500:]}"
    body = out.stdout[start + len('<pre id="out">') : out.stdout.find("</pre>", start)]
    assert body != "waiting", "chromium did not load the tracks in time"
    result: dict[str, dict[str, object]] = json.loads(urllib.parse.unquote(body))
    return result


def _browser_view(cues: list[Cue]) -> list[tuple[int, int, str]]:
    return sorted((c.start_ms, c.end_ms, "\n".join(c.lines)) for c in cues)


def test_chromium_loads_every_webvtt_file_with_the_same_cues(tmp_path: Path) -> None:
    files = [write_variant(name, "vtt", tmp_path).name for name in NAMES]
    empty = tmp_path / "header-only.vtt"
    open_subtitle_sink(str(empty), SubtitleOptions()).close()
    results = _chromium_cues(tmp_path, [*files, empty.name])
    assert results[empty.name] == {"status": "load", "cues": []}
    for name, file in zip(NAMES, files, strict=True):
        result = results[file]
        assert result["status"] == "load", file
        seen = result["cues"]
        assert isinstance(seen, list)
        browser = sorted((round(c["start"] * 1000), round(c["end"] * 1000), c["text"]) for c in seen)
        assert browser == _browser_view(expected_cues(name)), file


def test_header_only_webvtt_file_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "empty.vtt"
    open_subtitle_sink(str(path), SubtitleOptions()).close()
    assert path.read_text(encoding="utf-8") == "WEBVTT\n\n"
    assert ffprobe_count(path) == 0
