"""`translator run` end to end: the real CLI, the real SDK, the emulator, recorded speech."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import srt

from tests.e2e.conftest import PAIR_PROFILE, ROOT, SAMPLES, SECRET_KEY, read_jsonl, run_cli, write_profile


def _assert_one_translation_per_utterance(lines: list[dict[str, Any]], scenario: dict[str, Any]) -> None:
    # JSONL lines are written as each direction finishes (directions run in parallel);
    # SRT and WebVTT cues are in time order (checked below).
    translations = sorted((x for x in lines if x["kind"] == "translation"), key=lambda x: x["start_ms"])
    spoken = scenario["utterances"]
    assert len(translations) == len(spoken), [t["text"] for t in translations]
    for got, want in zip(translations, spoken, strict=True):
        target = next(iter(want["translations"]))
        assert got["source_language"] == want["language"]
        assert got["target_language"] == target
        assert got["text"] == want["translations"][target]
        assert abs(got["start_ms"] - want["start_ms"]) <= 500
        assert abs(got["end_ms"] - want["end_ms"]) <= 500


@pytest.mark.parametrize("mode", [pytest.param("realtime", marks=pytest.mark.slow), "fast"])
def test_paired_profile_translates_each_utterance_once_in_its_direction(
    tmp_path: Path, sample_scenario: dict[str, Any], mode: str
) -> None:
    profile = write_profile(tmp_path / "pair.yaml", PAIR_PROFILE.format(input="mic", max_segment="null"))
    out = tmp_path / "out"
    args = [
        "run",
        str(profile),
        "--emulator",
        "--input",
        str(SAMPLES / "en-es-sample.wav"),
        "--scenario",
        str(SAMPLES / "en-es-sample.yaml"),
        "--no-play",
        "--subtitles",
        str(out / "all.jsonl"),
        "--subtitles",
        str(out / "all.srt"),
        "--subtitles",
        str(out / "{target}.vtt"),
        "--audio-out",
        str(out / "speech.wav"),
    ]
    if mode == "fast":
        args.append("--fast")
    result = run_cli(*args)
    assert result.code == 0, result.stderr[-2000:]
    _assert_one_translation_per_utterance(read_jsonl(out / "all.jsonl"), sample_scenario)
    cues = list(srt.parse((out / "all.srt").read_text(encoding="utf-8")))
    assert [" ".join(c.content.split()) for c in cues] == [
        next(iter(u["translations"].values())) for u in sample_scenario["utterances"]
    ]
    assert [c.index for c in cues] == [1, 2, 3, 4]
    assert (out / "es-ES.vtt").read_text(encoding="utf-8").startswith("WEBVTT")
    assert "Thank you. Where is the train station?" in " ".join(
        (out / "en-US.vtt").read_text("utf-8").split()
    )
    assert (out / "speech.wav").stat().st_size > 48_000
    # live lines on stdout carry both the source line and its translation
    assert "[00:05.7 es→en] Thank you. Where is the train station?" in result.stdout
    assert SECRET_KEY not in result.stdout + result.stderr


def test_one_to_many_gives_one_subtitle_file_per_target(
    tmp_path: Path, many_recording: tuple[Path, Path, dict[str, Any]]
) -> None:
    wav, scenario_path, scenario = many_recording
    profile = write_profile(
        tmp_path / "many.yaml",
        f"""
directions:
  - {{source: en-US, target: es-ES, subtitles: ["{tmp_path}/out-es.srt"]}}
  - {{source: en-US, target: fr-FR, subtitles: ["{tmp_path}/out-fr.srt"]}}
  - {{source: en-US, target: de-DE, subtitles: ["{tmp_path}/out-de.srt"]}}
turn_detection: {{max_segment_ms: null}}
""",
    )
    result = run_cli(
        "run",
        str(profile),
        "--emulator",
        "--input",
        str(wav),
        "--scenario",
        str(scenario_path),
        "--fast",
        "--no-play",
        "--quiet",
        "--audio-out",
        str(tmp_path / "speech-{target}.wav"),
    )
    assert result.code == 0, result.stderr[-2000:]
    assert result.stdout == ""
    for lang, tag in (("es", "es-ES"), ("fr", "fr-FR"), ("de", "de-DE")):
        cues = list(srt.parse((tmp_path / f"out-{lang}.srt").read_text(encoding="utf-8")))
        texts = [" ".join(c.content.split()) for c in cues]
        assert texts == [u["translations"][tag] for u in scenario["utterances"]]
        assert (tmp_path / f"speech-{tag}.wav").exists()


def test_quickstart_runs_on_the_bundled_sample(tmp_path: Path) -> None:
    result = run_cli(
        "run",
        "configs/en-es.yaml",
        "--emulator",
        "--fast",
        "--no-play",
        "--subtitles",
        str(tmp_path / "q.jsonl"),
        "--stats",
        str(tmp_path / "stats.json"),
    )
    assert result.code == 0, result.stderr[-2000:]
    lines = read_jsonl(tmp_path / "q.jsonl")
    text = " ".join(x["text"] for x in lines if x["kind"] == "translation")
    for phrase in ("Buenos días a todos", "Where is the train station?", "Perfect, see you there at three."):
        assert phrase in text
    assert "translated 20.14 s of input" in result.stderr  # the summary, one JSON line


BROKEN = sorted((ROOT / "tests" / "unit" / "profiles").glob("*.yaml"))


@pytest.mark.parametrize("profile", BROKEN, ids=lambda p: p.name)
def test_broken_profiles_exit_2_with_one_line(profile: Path) -> None:
    for command in ("run", "check"):
        result = (
            run_cli(command, str(profile), "--emulator")
            if command == "run"
            else run_cli(command, str(profile))
        )
        assert result.code == 2, (command, result.stderr)
        assert "Traceback" not in result.stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("translator: error:")]
        assert len(errors) == 1 and str(profile) in errors[0]
        assert "sk-THIS-MUST-NEVER-BE-PRINTED" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "configs/en-es.yaml", "--input", "/nonexistent/talk.wav", "--emulator"], "talk.wav"),
        (["run", "configs/en-es.yaml", "--endpoint", "http://203.0.113.7"], "refusing plain http"),
        (["run", "configs/en-es.yaml"], "no endpoint"),
        (["run", "configs/en-es.yaml", "--emulator", "--subtitles", "x.txt"], ".txt"),
        (["run", "configs/en-es.yaml", "--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_usage_exits_2_with_one_line(tmp_path: Path, args: list[str], words: str) -> None:
    result = run_cli(*args)
    assert result.code == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert words in result.stderr.splitlines()[-1]


@pytest.mark.needs_pulse
def test_bad_audio_and_devices_exit_2_with_one_line(tmp_path: Path) -> None:
    garbage = tmp_path / "talk.wav"
    garbage.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(range(256)) * 8)
    text = tmp_path / "notes.ogg"
    text.write_text("this is not audio", encoding="utf-8")
    speaker = tmp_path / "speaker.yaml"
    speaker.write_text(
        "output: No Such Speaker 9000\ndirections: [{source: en-US, target: es-ES}]\n", "utf-8"
    )
    cases = [
        (["run", "configs/en-es.yaml", "--emulator", "--input", str(garbage)], "talk.wav"),
        (["run", "configs/en-es.yaml", "--emulator", "--input", str(text)], "notes.ogg"),
        (
            ["run", "configs/en-es.yaml", "--emulator", "--input", "mic:No Such Microphone"],
            "No Such Microphone",
        ),
        (["run", str(speaker), "--emulator"], "No Such Speaker 9000"),
    ]
    for args, words in cases:
        result = run_cli(*args)
        assert result.code == 2, (args, result.stderr[-1500:])
        assert "Traceback" not in result.stderr
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("translator: error:") and words in last, last


def test_check_prints_the_resolved_profile_with_secrets_redacted() -> None:
    result = run_cli(
        "check", "configs/en-es.yaml", env={"AZURE_COGNITIVE_SERVICES_ENDPOINT": "https://x.example"}
    )
    assert result.code == 0, result.stderr
    assert "valid" in result.stdout and "interpreter" in result.stdout
    assert "api key from $AZURE_COGNITIVE_SERVICES_KEY (***)" in result.stdout
    assert SECRET_KEY not in result.stdout + result.stderr


def test_schema_is_printed_as_json() -> None:
    import json

    result = run_cli("schema")
    assert result.code == 0
    assert "directions" in json.loads(result.stdout)["properties"]
