"""Live inputs through the real CLI and the emulator: a stream served by ffmpeg, and system audio.

The stream is the bundled recording, read by ffmpeg at its own pace (``-re``) and served
as MPEG-TS/AAC over HTTP on loopback (``-listen 1``: one client). System audio is the
same recording played into the virtual speaker ``vspk`` (PulseAudio null sink, started
by tests/conftest.py) and captured from its monitor with ``--input loopback:vspk``.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import pytest
import soundfile

from tests.audio.recording import play_into
from tests.e2e.conftest import (
    PAIR_PROFILE,
    SAMPLES,
    SECRET_KEY,
    read_jsonl,
    run_cli,
    start_cli,
    write_profile,
)
from tests.e2e.media import free_port, serve_live
from tests.pulse import PulseAudio

SPEECH = SAMPLES / "en-es-sample.wav"
SCENARIO = SAMPLES / "en-es-sample.yaml"

pytestmark = pytest.mark.slow


def _profile(tmp_path: Path) -> Path:
    return write_profile(tmp_path / "pair.yaml", PAIR_PROFILE.format(input="mic", max_segment="null"))


def _translations(path: Path) -> list[dict[str, Any]]:
    return sorted((x for x in read_jsonl(path) if x["kind"] == "translation"), key=lambda x: x["start_ms"])


def test_a_live_http_stream_is_subtitled_in_real_time_and_ends_with_it(
    tmp_path: Path, sample_scenario: dict[str, Any]
) -> None:
    port = free_port()
    server = serve_live(SPEECH, port)
    try:
        t0 = time.monotonic()
        result = run_cli(
            "run", str(_profile(tmp_path)), "--emulator", "--scenario", str(SCENARIO),
            "--input", f"http://127.0.0.1:{port}/live.ts", "--no-play", "--quiet",
            "--subtitles", str(tmp_path / "lines.jsonl"), timeout=120,
        )  # fmt: skip
        wall_s = time.monotonic() - t0
    finally:
        server.kill()
        server.wait()
    assert result.code == 0, result.stderr[-2000:]
    assert wall_s > 15  # read at the stream's own pace (20 s of speech), not ahead of it
    lines = _translations(tmp_path / "lines.jsonl")
    spoken = sample_scenario["utterances"]
    assert [x["text"] for x in lines] == [next(iter(u["translations"].values())) for u in spoken]
    for got, want in zip(lines, spoken, strict=True):  # on the stream's own timeline
        assert abs(got["start_ms"] - want["start_ms"]) <= 500
        assert abs(got["end_ms"] - want["end_ms"]) <= 500
    assert '"live": true' in result.stderr
    assert SECRET_KEY not in result.stdout + result.stderr


def test_fast_is_refused_for_a_live_stream(tmp_path: Path) -> None:
    port = free_port()
    server = serve_live(SPEECH, port)
    try:
        result = run_cli(
            "run", str(_profile(tmp_path)), "--emulator", "--input", f"http://127.0.0.1:{port}/live.ts",
            "--fast", "--no-play", "--subtitles", str(tmp_path / "lines.srt"), timeout=60,
        )  # fmt: skip
    finally:
        server.kill()
        server.wait()
    assert result.code == 2, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("translator: error:")]
    assert len(errors) == 1 and "--fast needs a finite input" in errors[0], result.stderr[-1000:]
    assert not (tmp_path / "lines.srt").exists()  # nothing opened before the input was accepted


def test_a_stream_cut_midway_is_reported_and_what_was_heard_is_kept(tmp_path: Path) -> None:
    port = free_port()
    server = serve_live(SPEECH, port)
    proc = start_cli(
        "run", str(_profile(tmp_path)), "--emulator", "--scenario", str(SCENARIO),
        "--input", f"http://127.0.0.1:{port}/live.ts", "--no-play", "--quiet",
        "--subtitles", str(tmp_path / "lines.jsonl"),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the first utterance (0.6-4.6 s) is translated: cut the stream
            if (tmp_path / "lines.jsonl").exists() and _translations(tmp_path / "lines.jsonl"):
                break
            time.sleep(0.1)
        server.send_signal(signal.SIGKILL)
        server.wait()
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr[-2000:]
    assert "Traceback" not in stderr
    assert '"event": "input_reconnecting"' in stderr  # FFmpeg tried to get the stream back, and said so
    assert stderr.count('"event": "input_stream_cut"') == 1, stderr[-2000:]
    texts = [x["text"] for x in _translations(tmp_path / "lines.jsonl")]
    assert texts[0] == "Buenos días a todos y bienvenidos a la reunión."
    assert len(texts) < 4  # the end of the recording was never sent


def _recording_streams(pulse: PulseAudio) -> int:
    return len(pulse.pactl("list", "short", "source-outputs").stdout.splitlines())


@pytest.mark.needs_pulse
def test_system_audio_played_to_the_speaker_is_translated(tmp_path: Path, pulse: PulseAudio) -> None:
    speech, rate = soundfile.read(SPEECH, dtype="float64")
    assert rate == 24_000
    before = _recording_streams(pulse)
    proc = start_cli(
        "run", str(_profile(tmp_path)), "--emulator", "--scenario", str(SCENARIO),
        "--input", "loopback:vspk", "--no-play", "--quiet", "--subtitles", str(tmp_path / "lines.jsonl"),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while _recording_streams(pulse) == before and time.monotonic() < deadline:
            time.sleep(0.05)  # until the run records from the monitor
        time.sleep(0.5)
        player = play_into("vspk", speech)
        player.wait(timeout=60)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            lines = _translations(tmp_path / "lines.jsonl") if (tmp_path / "lines.jsonl").exists() else []
            if "at three." in " ".join(x["text"] for x in lines):
                break
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr[-3000:]
    assert '"pulse_source": "vspk.monitor"' in stderr
    text = " ".join(x["text"] for x in _translations(tmp_path / "lines.jsonl"))
    # through a device, as tests/e2e/test_devices.py: a soft first word may fall under the VAD
    for phrase in ("Buenos días a todos", "train station?", "dos cuadras", "see you there at three"):
        assert phrase in text, text


@pytest.mark.needs_pulse
def test_loopback_of_an_unknown_output_lists_the_outputs(tmp_path: Path) -> None:
    result = run_cli("run", str(_profile(tmp_path)), "--emulator", "--input", "loopback:nosuch", timeout=60)
    assert result.code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("translator: error:")]
    assert len(errors) == 1 and "'vspk'" in errors[0] and "nosuch" in errors[0], result.stderr[-1000:]


def test_a_stalled_stream_is_logged_and_keeps_its_own_timeline(
    tmp_path: Path, sample_scenario: dict[str, Any]
) -> None:
    """The server freezes for 5 s mid-stream (SIGSTOP), then goes on: times still follow the stream."""
    port = free_port()
    server = serve_live(SPEECH, port)
    proc = start_cli(
        "run", str(_profile(tmp_path)), "--emulator", "--scenario", str(SCENARIO),
        "--input", f"http://127.0.0.1:{port}/live.ts", "--no-play", "--quiet",
        "--subtitles", str(tmp_path / "lines.jsonl"),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the first utterance is translated: freeze the server
            if (tmp_path / "lines.jsonl").exists() and _translations(tmp_path / "lines.jsonl"):
                break
            time.sleep(0.1)
        server.send_signal(signal.SIGSTOP)
        time.sleep(5.0)
        server.send_signal(signal.SIGCONT)
        _, stderr = proc.communicate(timeout=90)
    finally:
        server.send_signal(signal.SIGCONT)
        server.kill()
        server.wait()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr[-2000:]
    assert '"event": "input_stalled"' in stderr and '"event": "input_resumed"' in stderr, stderr[-2000:]
    lines = _translations(tmp_path / "lines.jsonl")
    spoken = sample_scenario["utterances"]
    assert [x["text"] for x in lines] == [next(iter(u["translations"].values())) for u in spoken]
    for got, want in zip(lines, spoken, strict=True):  # not shifted by the 5 s the stream stood still
        assert abs(got["start_ms"] - want["start_ms"]) <= 500
        assert abs(got["end_ms"] - want["end_ms"]) <= 500
