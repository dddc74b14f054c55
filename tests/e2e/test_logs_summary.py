"""Issue 12 items 11-13 through the real CLI: JSON logs that parse line by line at every
level with no audio payloads, a summary that counts only the input, fast-mode figures."""

from __future__ import annotations

import json
import re
import wave
from pathlib import Path

import pytest
import soundfile

from tests.e2e.conftest import SAMPLES, run_cli, run_cli_async

SAMPLE = SAMPLES / "en-es-sample.wav"
BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{200,}")


def _json_lines(stderr: str) -> list[dict[str, object]]:
    records = []
    for line in stderr.splitlines():
        if line.startswith("translator: error:"):
            continue  # the one-line reason a run failed stays plain, for people and scripts alike
        records.append(json.loads(line))  # fails the test on any other non-JSON line
    return records


@pytest.mark.parametrize("level", ["debug", "info", "warning", "error"])
def test_json_logs_parse_line_by_line_with_no_audio_payloads(level: str) -> None:
    result = run_cli(
        "--log-level", level, "run", "configs/en-es.yaml", "--emulator", "--no-play", "--fast", "--quiet"
    )
    assert result.code == 0, result.stderr[-2000:]
    records = _json_lines(result.stderr)
    assert any(r["event"] == "summary" for r in records)
    if level == "debug":
        loggers = {r.get("logger") for r in records}
        assert any(str(name).startswith("azure") for name in loggers), loggers  # the SDK's own lines, as JSON
        assert len(records) > 50
    assert not BASE64_RUN.search(result.stderr), BASE64_RUN.search(result.stderr)
    assert len(result.stderr) < 400_000, len(result.stderr)  # was 772 KB of base64 audio for 20 s


async def test_a_rejected_key_at_debug_level_leaves_no_unclosed_session() -> None:
    from translator.emulator import Emulator, EmulatorOptions

    async with Emulator(EmulatorOptions(accepted_keys=frozenset({"the-right-key"}))) as emulator:
        result = await run_cli_async(
            "--log-level", "debug", "run", "configs/en-es.yaml", "--endpoint", emulator.url,
            "--no-play", "--fast", "--input", str(SAMPLE),
        )  # fmt: skip
    assert result.code == 3, result.stderr[-2000:]
    _json_lines(result.stderr)
    assert "Unclosed" not in result.stderr and "Traceback" not in result.stderr


def test_summary_counts_the_input_not_the_appended_silence() -> None:
    result = run_cli("run", "configs/en-es.yaml", "--emulator", "--no-play", "--fast", "--quiet")
    assert result.code == 0, result.stderr[-2000:]
    summary = next(r for r in _json_lines(result.stderr) if r["event"] == "summary")
    length_s = soundfile.info(str(SAMPLE)).duration
    assert abs(float(summary["input_audio_s"]) - length_s) < 0.05, (summary, length_s)  # was +1.0 s


def test_a_file_without_speech_says_so(tmp_path: Path) -> None:
    silence = tmp_path / "silence.wav"
    with wave.open(str(silence), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(bytes(2 * 16000 * 3))
    result = run_cli(
        "--log-format", "console", "run", "configs/en-es.yaml", "--emulator", "--no-play", "--fast",
        "--input", str(silence),
    )  # fmt: skip
    assert result.code == 0, result.stderr[-2000:]
    assert "translator: no speech was found in 3.0 s of input" in result.stderr, result.stderr[-1500:]


def test_fast_mode_prints_no_real_time_figures_and_orders_stdout_by_input_time() -> None:
    result = run_cli(
        "--log-format", "console", "run", "configs/en-es.yaml", "--emulator", "--no-play", "--fast"
    )
    assert result.code == 0, result.stderr[-2000:]
    assert "ear-voice span" not in result.stderr and "--fast: no real-time latency figures" in result.stderr
    times = [line[1:8] for line in result.stdout.splitlines() if line.startswith("[")]
    assert len(times) >= 8 and times == sorted(times), result.stdout


@pytest.mark.slow
def test_real_time_mode_still_prints_latency_figures() -> None:
    result = run_cli("--log-format", "console", "run", "configs/en-es.yaml", "--emulator", "--no-play")
    assert result.code == 0, result.stderr[-2000:]
    assert "ear-voice span p50" in result.stderr
