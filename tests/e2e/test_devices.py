"""Through real devices: speech into the virtual microphone, translation out of the virtual speaker.

PulseAudio (started by tests/conftest.py) gives two null sinks: the test plays the
sample into ``vmic`` (whose monitor is the default source, our microphone) and
records ``vspk.monitor`` (the default sink, our speaker). The recording must contain
the translated speech the emulator sent, sample for sample up to resampling.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.audio.recording import Recorder, play_into
from tests.audio.signals import piecewise_similarity
from tests.e2e.conftest import ROOT, SAMPLES, SECRET_KEY, read_jsonl, run_cli, start_cli
from tests.pulse import PulseAudio

pytestmark = pytest.mark.needs_pulse


def _recording_streams(pulse: PulseAudio) -> int:
    """Recording streams open on the daemon (the run's microphone is one of them)."""
    return len(pulse.pactl("list", "short", "source-outputs").stdout.splitlines())


def _active_regions(
    x: np.ndarray, rate: int, floor: float = 0.01, gap_s: float = 0.3
) -> list[tuple[int, int]]:
    loud = np.flatnonzero(np.abs(x) > floor)
    if loud.size == 0:
        return []
    regions, start, last = [], loud[0], loud[0]
    for i in loud[1:]:
        if i - last > gap_s * rate:
            regions.append((int(start), int(last)))
            start = i
        last = i
    regions.append((int(start), int(last)))
    return regions


@pytest.mark.slow
@pytest.mark.parametrize("turns", ["client", "azure_semantic_vad"])
def test_microphone_to_speaker_through_the_emulator(tmp_path: Path, turns: str, pulse: PulseAudio) -> None:
    """The shipped pair profile, with this machine's or the service's turn detection."""
    speech, rate = soundfile.read(SAMPLES / "en-es-sample.wav", dtype="float64")
    assert rate == 24_000
    profile = tmp_path / "en-es.yaml"
    shipped = (ROOT / "configs" / "en-es.yaml").read_text(encoding="utf-8")
    profile.write_text(shipped.replace("type: client", f"type: {turns}", 1), encoding="utf-8")
    assert f"type: {turns}" in profile.read_text(encoding="utf-8")
    recorder = Recorder("vspk.monitor")
    streams_before = _recording_streams(pulse)
    proc = start_cli(
        "run",
        str(profile),
        "--emulator",
        "--scenario",
        str(SAMPLES / "en-es-sample.yaml"),
        "--input",
        "mic",
        "--audio-out",
        str(tmp_path / "sent.wav"),
        "--subtitles",
        str(tmp_path / "lines.jsonl"),
        "--stats",
        str(tmp_path / "stats.json"),
    )
    log_lines: list[str] = []
    readers = [  # both pipes drained while the run goes on: logs kept, stdout read and dropped
        threading.Thread(target=lambda: log_lines.extend(proc.stderr or []), daemon=True),
        threading.Thread(target=lambda: (proc.stdout or "").read() and None, daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        # speak only once the run listens: the microphone is open and both directions are
        # connected (start-up takes longer on a loaded machine; a fixed wait lost the first words)
        deadline = time.monotonic() + 60
        while not (
            _recording_streams(pulse) > streams_before
            and sum('"event": "session_started"' in line for line in list(log_lines)) >= 2
        ):
            assert proc.poll() is None and time.monotonic() < deadline, "the run never started listening"
            time.sleep(0.1)
        player = play_into("vmic", speech)
        player.wait(timeout=60)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            lines = read_jsonl(tmp_path / "lines.jsonl") if (tmp_path / "lines.jsonl").exists() else []
            if "at three." in " ".join(x["text"] for x in lines if x["kind"] == "translation"):
                break  # the last sentence is translated
            time.sleep(0.2)
        time.sleep(3.0)  # let the last translation play out
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        for reader in readers:
            reader.join(timeout=10)
        recorded = recorder.stop()
    stderr = "".join(log_lines)
    assert proc.returncode == 0, stderr[-3000:]
    # the shipped profile's max_segment_ms holds for every turn type: nothing is ignored
    assert '"event": "profile_field_ignored"' not in stderr

    text = " ".join(x["text"] for x in read_jsonl(tmp_path / "lines.jsonl") if x["kind"] == "translation")
    for phrase in ("Buenos días a todos", "Thank you. Where is the train station?", "see you there at three"):
        assert phrase in text

    sent, sent_rate = soundfile.read(tmp_path / "sent.wav", dtype="float64")
    assert sent_rate == 24_000
    regions = _active_regions(sent, sent_rate)
    assert len(regions) >= 4
    for start, end in regions[:3]:
        similarity = piecewise_similarity(recorded, sent[start:end], 24_000)
        assert similarity > 0.7, similarity  # the same speech came out (unrelated speech: < 0.3)
    played = sum(e - s for s, e in _active_regions(recorded, 24_000))
    expected = sum(e - s for s, e in regions)
    assert abs(played - expected) < 0.1 * expected

    stats = json.loads((tmp_path / "stats.json").read_text(encoding="utf-8"))
    assert stats["playback"]["underruns"] == 0, stats["playback"]
    assert SECRET_KEY not in stderr


@pytest.mark.slow
def test_monitor_plays_the_original_under_the_translation(tmp_path: Path) -> None:
    """An interpreter booth: the original input is monitored on the speaker, ducked under translations."""
    profile = tmp_path / "booth.yaml"
    profile.write_text(
        "directions: [{source: en-US, target: es-ES}, {source: es-ES, target: en-US}]\n"
        "playback: {monitor: true, duck_db: 12}\n",
        encoding="utf-8",
    )
    speech, _ = soundfile.read(SAMPLES / "en-es-sample.wav", dtype="float64")
    recorder = Recorder("vspk.monitor")
    result = run_cli(
        "run",
        str(profile),
        "--emulator",
        "--quiet",
        "--input",
        str(SAMPLES / "en-es-sample.wav"),
        "--scenario",
        str(SAMPLES / "en-es-sample.yaml"),
        timeout=90,
    )
    recorded = recorder.stop()
    assert result.code == 0, result.stderr[-2000:]
    first_words = speech[600 * 24 : 2200 * 24]  # "Good morning, everyone," before any translation plays
    similarity = piecewise_similarity(recorded, first_words, 24_000)
    assert similarity > 0.6, similarity  # unrelated speech scores below 0.3


def test_devices_lists_inputs_and_outputs_and_marks_the_defaults() -> None:
    result = run_cli("devices")
    assert result.code == 0, result.stderr
    header, *rows = result.stdout.strip().splitlines()
    assert "name" in header and "host API" in header and "rate Hz" in header
    assert any(row.lstrip().startswith((">", "<", "><")) for row in rows)  # the defaults are marked
    assert "> default input" in result.stdout
