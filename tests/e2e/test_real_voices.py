"""Real recorded voices (``tests/realspeech/``) through the real CLI and SDK against the
emulator, with every turn detector: 70 s of continuous speech in steady noise, sentences
joined by 50 to 200 ms, streamed with ``--fast``.

Each run must finish (long speech once hung the service turns in fast mode), leave no
sentence untranslated, and keep every utterance within ``max_segment_ms`` + 1 s: also
when the service's events trail the audio by half a second (a distant or loaded service;
``--fast`` input once ran 40 s ahead of its announcements and made a 40 s utterance).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile

from tests import realspeech as rs
from tests.e2e.conftest import SECRET_KEY, Result, read_jsonl, run_cli_async
from translator.emulator import Emulator, EmulatorOptions
from translator.emulator.faults import FaultPlan

pytestmark = pytest.mark.skipif(rs.missing() is not None, reason=str(rs.missing()))

PROFILE = """
name: real voices, {kind}
input: {input}
directions:
  - {{source: en-US, target: es-ES}}
turn_detection:
  type: {kind}
  max_segment_ms: 4000
"""


@pytest.fixture(scope="module")
def noisy_talk(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, rs.Recording]:
    rec = rs.degrade(rs.continuous_english(70.0), "pink", 15, -6, seed=7)
    path = tmp_path_factory.mktemp("real") / "talk.wav"
    soundfile.write(path, rec.pcm, rs.RATE_HZ, subtype="PCM_16")
    return path, rec


@pytest.mark.parametrize("kind", ["client", "server_vad", "azure_semantic_vad"])
async def test_continuous_real_speech_finishes_whole_and_bounded(
    tmp_path: Path, noisy_talk: tuple[Path, rs.Recording], kind: str
) -> None:
    await _run_and_judge(tmp_path, noisy_talk, kind, fast=True, latency_s=0.0)


@pytest.fixture(scope="module")
def short_talk(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, rs.Recording]:
    rec = rs.degrade(rs.continuous_english(20.0, seed=3), "pink", 15, -12, seed=8)
    path = tmp_path_factory.mktemp("real") / "short.wav"
    soundfile.write(path, rec.pcm, rs.RATE_HZ, subtype="PCM_16")
    return path, rec


async def test_fast_input_stays_bounded_when_the_service_announces_late(
    tmp_path: Path, short_talk: tuple[Path, rs.Recording]
) -> None:
    """``--fast`` with the service's events 0.5 s late: the input once ran 20 s ahead of
    the announcements, and the turn they made was cut only where the input had got to."""
    await _run_and_judge(tmp_path, short_talk, "server_vad", fast=True, latency_s=0.5)


@pytest.mark.slow  # 20 s of speech in real time
@pytest.mark.parametrize("kind", ["client", "server_vad"])
async def test_real_speech_in_real_time_is_whole_and_bounded(
    tmp_path: Path, short_talk: tuple[Path, rs.Recording], kind: str
) -> None:
    """The same in real time (the file is read at its own pace, as a microphone is), on
    20 s of speech at the lowest input gain, with the service's events 0.3 s late."""
    await _run_and_judge(tmp_path, short_talk, kind, fast=False, latency_s=0.3)


async def _run_and_judge(
    tmp_path: Path, talk: tuple[Path, rs.Recording], kind: str, *, fast: bool, latency_s: float
) -> None:
    wav, rec = talk
    profile = tmp_path / "profile.yaml"
    profile.write_text(PROFILE.format(kind=kind, input=wav), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    pace = ["--fast"] if fast else []
    async with Emulator(EmulatorOptions(faults=FaultPlan(event_latency_s=latency_s))) as emulator:
        result = await run_cli_async(
            "run", str(profile), "--no-play", *pace, "--subtitles", str(out), "--endpoint", emulator.url
        )
    _assert_whole_and_bounded(result, out, rec)


def _assert_whole_and_bounded(result: Result, out: Path, rec: rs.Recording) -> None:
    assert result.code == 0, result.stderr[-3000:]
    assert SECRET_KEY not in result.stdout + result.stderr + out.read_text("utf-8")
    lines = [x for x in read_jsonl(out) if x["kind"] == "translation"]
    for x in lines:
        assert x["end_ms"] - x["start_ms"] <= 4000 + 1000, x
    # every sentence of the recording lies (mostly) inside translated utterances
    for u in rec.utterances:
        inside = sum(max(0, min(x["end_ms"], u.end_ms) - max(x["start_ms"], u.start_ms)) for x in lines)
        assert inside >= 0.8 * (u.end_ms - u.start_ms), (u, [(x["start_ms"], x["end_ms"]) for x in lines])
