"""Fixtures: espeak-ng recordings (made once per test session) and a live emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile

from translator.emulator import Emulator, EmulatorOptions, Scenario, load_scenario
from translator.emulator.speechgen import ScriptLine, synthesize, write_scenario

SAMPLES = Path(__file__).resolve().parents[2] / "translator" / "samples"


@dataclass(frozen=True)
class Recording:
    """A scenario and its source recording as int16 at 24 kHz."""

    scenario_path: Path
    scenario: Scenario
    pcm: np.ndarray
    sample_rate_hz: int = 24_000

    def span(self, start_ms: int, end_ms: int) -> np.ndarray:
        return self.pcm[start_ms * 24 : end_ms * 24]


def _recording(path: Path) -> Recording:
    scenario = load_scenario(path)
    assert scenario.audio is not None
    pcm, rate = soundfile.read(scenario.audio, dtype="int16")
    assert rate == 24_000
    return Recording(path, scenario, pcm)


@pytest.fixture(scope="session")
def sample() -> Recording:
    """The bundled en/es sample: four utterances, alternating English and Spanish."""
    return _recording(SAMPLES / "en-es-sample.yaml")


@pytest.fixture(scope="session")
def noisy(tmp_path_factory: pytest.TempPathFactory) -> Recording:
    """Three English utterances by espeak-ng with loud background noise (-40 dBFS)."""
    folder = tmp_path_factory.mktemp("noisy")
    script = [
        ScriptLine("en-US", "Please open the window.", {"fr-FR": "Veuillez ouvrir la fenêtre."}),
        ScriptLine(
            "en-US",
            "The meeting starts at nine tomorrow.",
            {"fr-FR": "La réunion commence à neuf heures demain."},
        ),
        ScriptLine("en-US", "Thank you very much.", {"fr-FR": "Merci beaucoup."}),
    ]
    scenario = synthesize(script, folder / "noisy.wav", noise_dbfs=-40.0, seed=3)
    write_scenario(scenario, folder / "noisy.yaml")
    return _recording(folder / "noisy.yaml")


def fast_options(**overrides: object) -> EmulatorOptions:
    settings: dict[str, object] = {"model_delay_ms": 0, "pacing": 0.0}
    settings.update(overrides)
    return EmulatorOptions(**settings)  # type: ignore[arg-type]


@pytest.fixture
async def emulator(sample: Recording) -> AsyncIterator[Emulator]:
    async with Emulator(fast_options(scenario=sample.scenario)) as emu:
        yield emu
