"""Faults, one per test, through the CLI and the real SDK against an in-process emulator.

Each run must end with exit status 0 and exactly one translation per utterance in
the subtitle files, in order, with times that match the speech; and the API key must
never appear in anything the program prints or writes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import srt
import yaml

from tests.e2e.conftest import PAIR_PROFILE, ROOT, SAMPLES, SECRET_KEY, Result, read_jsonl, run_cli_async
from translator.emulator import Emulator, EmulatorOptions, FaultPlan, load_scenario

sys.path.insert(0, str(ROOT / "scripts"))
from benchlib import talk_recording  # noqa: E402


async def _translate_with(
    tmp_path: Path,
    plan: Callable[[FaultPlan], None],
    *,
    fast: bool = True,
    extra: tuple[str, ...] = (),
    wav: Path = SAMPLES / "en-es-sample.wav",
    scenario_path: Path = SAMPLES / "en-es-sample.yaml",
    options: dict[str, Any] | None = None,
) -> tuple[Result, list[dict[str, Any]], Emulator]:
    profile = tmp_path / "pair.yaml"
    profile.write_text(PAIR_PROFILE.format(input=wav, max_segment="null"), encoding="utf-8")
    emulator = Emulator(EmulatorOptions(scenario=load_scenario(scenario_path), **(options or {})))
    plan(emulator.options.faults)
    out = tmp_path / "out"
    async with emulator:
        args = [
            "run",
            str(profile),
            "--endpoint",
            emulator.url,
            "--no-play",
            "--subtitles",
            str(out / "all.jsonl"),
            "--subtitles",
            str(out / "all.srt"),
            "--subtitles",
            str(out / "all.vtt"),
            "--audio-out",
            str(out / "speech.wav"),
            *extra,
        ]
        if fast:
            args.append("--fast")
        result = await run_cli_async(*args)
    assert result.code == 0, result.stderr[-3000:]
    written = "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in out.iterdir() if p.suffix != ".wav"
    )
    assert SECRET_KEY not in result.stdout + result.stderr + written
    assert SECRET_KEY.encode() not in (out / "speech.wav").read_bytes()
    return result, read_jsonl(out / "all.jsonl"), emulator


def _assert_each_utterance_once(lines: list[dict[str, Any]], scenario_path: Path, out: Path) -> None:
    scenario = yaml.safe_load(scenario_path.read_text(encoding="utf-8"))
    spoken = scenario["utterances"]
    got = sorted((x for x in lines if x["kind"] == "translation"), key=lambda x: x["start_ms"])
    assert [g["text"] for g in got] == [next(iter(u["translations"].values())) for u in spoken]
    for g, u in zip(got, spoken, strict=True):
        assert g["source_language"] == u["language"]
        assert abs(g["start_ms"] - u["start_ms"]) <= 500 and abs(g["end_ms"] - u["end_ms"]) <= 500
    cues = list(srt.parse((out / "all.srt").read_text(encoding="utf-8")))
    assert len(cues) == len(spoken)
    assert all(a.end <= b.start for a, b in zip(cues, cues[1:], strict=False))


def _logged(result: Result, event: str) -> list[str]:
    return [line for line in result.stderr.splitlines() if f'"event": "{event}"' in line]


FAULTS: dict[str, Callable[[FaultPlan], None]] = {
    "close_1011_mid_response": lambda p: p.add("close_1011_mid_response", 1) and None,
    "tcp_abort_mid_response": lambda p: p.add("tcp_abort_mid_response", 2) and None,
    "rate_limit_error": lambda p: p.add("error_event", 1, code="rate_limit_exceeded") and None,
    "server_error": lambda p: p.add("error_event", 3, code="server_error") and None,
    "transcription_failed": lambda p: p.add("transcription_failed", 2) and None,
    "response_failed": lambda p: p.add("response_failed", 0) and None,
    "response_incomplete": lambda p: p.add("response_incomplete", 3) and None,
    "http_429_first_handshakes": lambda p: setattr(p, "http_429_first_n", 3),
    "unknown_events": lambda p: setattr(p, "unknown_events", True),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_fault_loses_no_line_and_doubles_none(tmp_path: Path, fault: str) -> None:
    result, lines, emulator = await _translate_with(tmp_path, FAULTS[fault])
    _assert_each_utterance_once(lines, SAMPLES / "en-es-sample.yaml", tmp_path / "out")
    if fault == "http_429_first_handshakes":
        assert emulator.options.faults.refused() == {"429": 3}, "the fault never fired"
    elif fault == "unknown_events":
        sent = [kind for record in emulator.records for kind in record.sent_types]
        assert "rate_limits.updated" in sent, "the fault never fired"
    else:
        assert emulator.options.faults.fired(), "the fault never fired"
    if fault in ("close_1011_mid_response", "tcp_abort_mid_response"):
        assert _logged(result, "reconnecting")
    if fault == "http_429_first_handshakes":
        assert len(_logged(result, "reconnecting")) >= 3


@pytest.mark.slow
async def test_missed_heartbeat_reconnects(tmp_path: Path) -> None:
    result, lines, _ = await _translate_with(
        tmp_path,
        lambda p: p.no_pong_connections.update({0, 1}),
        fast=False,
        extra=("--heartbeat", "1"),
    )
    _assert_each_utterance_once(lines, SAMPLES / "en-es-sample.yaml", tmp_path / "out")
    assert _logged(result, "reconnecting")


async def test_stalled_stream_reconnects(tmp_path: Path) -> None:
    result, lines, _ = await _translate_with(
        tmp_path,
        lambda p: p.add("stall_mid_response", 1, seconds=30.0) and None,
        extra=("--stall-timeout", "3"),
    )
    _assert_each_utterance_once(lines, SAMPLES / "en-es-sample.yaml", tmp_path / "out")
    assert any("stalled" in line for line in _logged(result, "reconnecting"))


@pytest.mark.slow
async def test_a_quiet_stretch_is_no_stall(tmp_path: Path) -> None:
    """The stall timer counts from when the client began to wait for an answer, not from the
    last event: nothing comes while nobody speaks (or one long utterance streams in), and the
    first commit after that must not look like a stalled service. With a 3 s timeout, the
    sample's 4-5 s between answers and every event 0.3 s late (a distant service), every
    utterance reconnected before the fix."""
    result, lines, _ = await _translate_with(
        tmp_path,
        lambda p: setattr(p, "event_latency_s", 0.3),
        fast=False,
        extra=("--stall-timeout", "3"),
    )
    _assert_each_utterance_once(lines, SAMPLES / "en-es-sample.yaml", tmp_path / "out")
    assert not _logged(result, "reconnecting")


@pytest.mark.slow
async def test_session_expiry_in_real_time(tmp_path: Path) -> None:
    result, lines, emulator = await _translate_with(
        tmp_path,
        lambda p: setattr(p, "expire_after_s", 8.0),
        fast=False,
    )
    _assert_each_utterance_once(lines, SAMPLES / "en-es-sample.yaml", tmp_path / "out")
    renewals = _logged(result, "session_renewed") + _logged(result, "session_expired")
    assert renewals and len(emulator.records) >= 4


@pytest.fixture(scope="module")
def fifty_seconds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    wav, scenario_path, scenario = talk_recording(tmp_path_factory.mktemp("fifty-seconds"), pause_ms=1200)
    assert scenario["utterances"][-1]["end_ms"] > 45_000
    return wav, scenario_path


@pytest.mark.slow
async def test_expiry_every_6_seconds_over_fifty_seconds(
    tmp_path: Path, fifty_seconds: tuple[Path, Path]
) -> None:
    """Many expiries in a row: 14 sentences, each direction's connection closed every 6 s.

    The emulator expires a connection by the wall clock, so the run is real time. It was
    two minutes with an expiry every 20 s (6 per direction); this has at least as many
    expiries per sentence in less than half the time."""
    wav, scenario_path = fifty_seconds
    result, lines, emulator = await _translate_with(
        tmp_path,
        lambda p: setattr(p, "expire_after_s", 6.0),
        fast=False,
        wav=wav,
        scenario_path=scenario_path,
    )
    _assert_each_utterance_once(lines, scenario_path, tmp_path / "out")
    assert len(emulator.records) >= 2 * 6  # two directions, a new connection at least every 6 s
