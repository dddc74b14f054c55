"""Issue 12 items 14-16: each shipped profile with --emulator speaks its own languages,
Chinese translations are sliced by characters, and the emulator takes 44.1 kHz input."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import ROOT, SAMPLES, read_jsonl, run_cli
from tests.emulator.helpers import configure, session

PROFILES = sorted((ROOT / "configs").glob("*.yaml"))


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.stem)
def test_each_shipped_profile_plays_a_sample_in_its_own_languages(tmp_path: Path, profile: Path) -> None:
    spec = yaml.safe_load(profile.read_text(encoding="utf-8"))
    targets = {d["target"] for d in spec["directions"]}
    result = run_cli(
        "run", str(profile.relative_to(ROOT)), "--emulator", "--no-play", "--fast", "--quiet",
        "--subtitles", str(tmp_path / "{target}.jsonl"),
    )  # fmt: skip
    assert result.code == 0, result.stderr[-2000:]
    assert "sample_languages_differ" not in result.stderr
    scenario = next(
        yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted(SAMPLES.glob("*-sample.yaml"))
        if '"scenario": "' + str(p) + '"' in result.stderr
    )
    for target in targets:
        lines = read_jsonl(tmp_path / f"{target}.jsonl")
        translations = sorted((x for x in lines if x["kind"] == "translation"), key=lambda x: x["start_ms"])
        assert translations, target
        assert all(x["target_language"] == target for x in translations)
        spoken = [u for u in scenario["utterances"] if target in u["translations"]]
        joiner = "" if target.startswith("zh") else " "
        got = joiner.join(x["text"] for x in translations)
        want = joiner.join(u["translations"][target] for u in spoken)
        assert got == want, (target, got, want)


def test_chinese_translations_are_sliced_by_characters(tmp_path: Path) -> None:
    profile = tmp_path / "en-zh-cut.yaml"
    profile.write_text(
        "directions:\n  - {source: en-US, target: zh-CN}\n  - {source: zh-CN, target: en-US}\n"
        "turn_detection: {type: client, max_segment_ms: 1500}\n",
        encoding="utf-8",
    )
    result = run_cli(
        "run", str(profile), "--emulator", "--no-play", "--fast", "--quiet",
        "--input", str(SAMPLES / "en-zh-sample.flac"), "--scenario", str(SAMPLES / "en-zh-sample.yaml"),
        "--subtitles", str(tmp_path / "zh.jsonl"),
    )  # fmt: skip
    assert result.code == 0, result.stderr[-2000:]
    lines = read_jsonl(tmp_path / "zh.jsonl")
    chinese = [x for x in lines if x["kind"] == "translation" and x["target_language"] == "zh-CN"]
    english = [x for x in lines if x["kind"] == "source" and x["source_language"] == "en-US"]
    assert len(chinese) > 2, chinese  # the English sentences were cut into parts
    assert len(chinese) == len(english)
    assert all(x["text"].strip() for x in chinese), [x["text"] for x in chinese]  # every part has its share
    assert all(" " not in x["text"] for x in chinese)


@pytest.mark.parametrize("rate_hz", [8000, 16000, 24000, 44100])
async def test_every_session_update_is_answered_and_44100_is_accepted(rate_hz: int) -> None:
    from translator.emulator import Emulator, EmulatorOptions

    async with Emulator(EmulatorOptions()) as emulator, session(emulator.url) as conn:
        events = await configure(conn, input_audio_sampling_rate=rate_hz)
        assert events[-1].type == "session.updated", [e.type for e in events]
        assert events[-1].session.input_audio_sampling_rate == rate_hz
        events = await configure(conn, input_audio_sampling_rate=12345)
        assert events[-1].type == "error", [e.type for e in events]
