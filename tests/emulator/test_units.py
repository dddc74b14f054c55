"""Pure pieces: codecs, scenario validation, config merging."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from translator.emulator import ScenarioError, load_scenario
from translator.emulator.codec import AudioFormat, decode, encode, output_format
from translator.emulator.config import ConfigError, apply_update, default_session
from translator.errors import TranslatorError

# Reference values from the ITU-T G.711 tables (as produced by CPython's audioop).
ULAW = {0: 0xFF, 1000: 0xCE, -1000: 0x4E, 32767: 0x80, -32768: 0x00}
ALAW = {0: 0xD5, 1000: 0xFA, -1000: 0x7A, 32767: 0xAA, -32768: 0x2A}


@pytest.mark.parametrize(("encoding", "table"), [("ulaw", ULAW), ("alaw", ALAW)])
def test_g711_reference_values_and_round_trip(encoding: str, table: dict[int, int]) -> None:
    fmt = AudioFormat(encoding, 8000)
    for value, byte in table.items():
        assert encode(np.array([value / 32768], np.float32), fmt) == bytes([byte])
    x = np.sin(np.linspace(0, 60, 8000)).astype(np.float32) * 0.5
    assert float(np.abs(decode(encode(x, fmt), fmt) - x).max()) < 0.02


def test_output_formats() -> None:
    assert output_format("pcm16") == AudioFormat("pcm16", 24000)
    assert output_format("pcm16-8000hz") == AudioFormat("pcm16", 8000)
    assert output_format("pcm16_44100hz").sample_rate_hz == 44100
    assert output_format("g711_ulaw") == AudioFormat("ulaw", 8000)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("utterances: []", "utterances"),
        (
            "utterances: [{language: en, transcript: x, translations: {es: y}, words: [[a, 5, 1]]}]",
            "utterances[0].words[0]: end_ms 1 is before start_ms 5",
        ),
        (
            "audio: missing.wav\nutterances: [{language: en, transcript: x, translations: {es: y}}]",
            "audio: file not found",
        ),
        (
            "utterances: [{language: en, transcript: x, translations: {es: y}}]\nfaults: [{kind: boom}]",
            "faults[0]",
        ),
        ("utterances: [", "line"),
        (
            "utterances: [{language: en, transcript: x, translations: {es: y}}]\n"
            "faults: [{kind: http_5xx_first_n, count: 1, status: 404}]",
            "faults[0].status",
        ),
        (
            "utterances: [{language: en, transcript: x, translations: {es: y}}]\n"
            "faults: [{kind: max_sessions_per_key}]",
            "needs 'count'",
        ),
        (
            "utterances: [{language: en, transcript: x, translations: {es: y}}]\n"
            "faults: [{kind: warning_event, utterance: 0, ends_response: true}]",
            "'ends_response' goes with fault 'error_event'",
        ),
    ],
)
def test_bad_scenarios_name_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value).startswith(str(path)) and message in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_scenario_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read") as info:
        load_scenario(tmp_path / "nope.yaml")
    assert isinstance(info.value, TranslatorError) and isinstance(info.value, ValueError)
    assert info.value.exit_status == 2


def test_session_update_merge_rules() -> None:
    base = default_session("gpt-4o", "sess_1", 0)
    new = apply_update(
        base,
        {
            "turn_detection": {"type": "server_vad", "threshold": 0.7},
            "input_audio_noise_reduction": {"type": "azure_deep_noise_suppression"},
        },
    )
    assert new["turn_detection"]["threshold"] == 0.7 and new["turn_detection"]["silence_duration_ms"] == 500
    assert base["turn_detection"]["threshold"] == 0.5
    assert apply_update(new, {"input_audio_noise_reduction": None})["input_audio_noise_reduction"] is None
    assert apply_update(base, {"input_audio_format": "g711_alaw"})["input_audio_sampling_rate"] == 8000
    with pytest.raises(ConfigError) as info:
        apply_update(base, {"input_audio_echo_cancellation": {"reference_source": "server", "channels": 2}})
    assert info.value.code == "invalid_ec_channels_requires_client" and not info.value.fatal
    with pytest.raises(ConfigError) as info:
        apply_update(base, {"voice": {"type": "azure-standard", "name": "nobody"}})
    assert info.value.fatal
    include = ["item.input_audio_transcription.phrases"]
    assert apply_update(base, {"include": include})["include"] == include
    with pytest.raises(ConfigError) as info:
        apply_update(base, {"include": "item.input_audio_transcription.phrases"})
    assert info.value.param == "session.include" and not info.value.fatal


def test_cli_options_and_bad_scenario(tmp_path: Path) -> None:
    import argparse

    from translator.emulator import cli

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    options = cli.options_from_args(
        parser.parse_args(
            ["--key", "a", "--key", "b", "--http-429-first-n", "2", "--http-403-first-n", "1"]
            + ["--http-5xx-first-n", "3", "--http-5xx-status", "502", "--max-sessions-per-key", "4"]
        )
    )
    assert options.accepted_keys == frozenset({"a", "b"}) and options.faults.http_429_first_n == 2
    faults = options.faults
    assert (faults.http_403_first_n, faults.http_404_first_n, faults.http_5xx_first_n) == (1, 0, 3)
    assert faults.http_5xx_status == 502 and faults.max_sessions_per_key == 4
    with pytest.raises(SystemExit):
        parser.parse_args(["--http-5xx-status", "404"])
    assert options.scenario is None and options.pacing == 4.0
    with pytest.raises(ScenarioError, match="cannot read"):
        cli.options_from_args(parser.parse_args(["--scenario", str(tmp_path / "missing.yaml")]))


def test_scenario_faults_become_a_plan(tmp_path: Path) -> None:
    path = tmp_path / "faults.yaml"
    path.write_text(
        "utterances: [{language: en, transcript: x, translations: {es: y}}]\n"
        "faults:\n"
        "  - {kind: http_404_first_n, count: 2}\n"
        "  - {kind: http_5xx_first_n, count: 1, status: 500}\n"
        "  - {kind: max_sessions_per_key, count: 3}\n"
        "  - {kind: error_event, utterance: 1, code: server_error, ends_response: true}\n"
        "  - {kind: warning_event, utterance: 0}\n",
        encoding="utf-8",
    )
    plan = load_scenario(path).fault_plan()
    assert (plan.http_404_first_n, plan.http_5xx_first_n, plan.http_5xx_status) == (2, 1, 500)
    assert plan.max_sessions_per_key == 3
    error, warning = plan.utterance_faults
    assert (error.kind, error.utterance, error.code, error.ends_response) == (
        "error_event",
        1,
        "server_error",
        True,
    )
    assert (warning.kind, warning.code, warning.ends_response) == ("warning_event", None, False)
    assert [plan.reject_handshake() for _ in range(4)] == [404, 404, 500, None]
