"""``turn_detection.early_cut_ms`` through the CLI: the pieces change, every word stays once.

The 40 s continuous synthetic recording (sentences of 3.9 to 7 s, no pause the detector
hears) in ``--fast``, with and without ``early_cut_ms``: the pieces say every word of the
script exactly once, in order, in both languages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import assert_every_word_once, read_jsonl, run_cli_async
from translator.emulator import Emulator, EmulatorOptions, load_scenario

PROFILE = """name: early cuts
input: {wav}
output: none
directions:
  - {{source: en-US, target: es-ES}}
turn_detection:
  type: client
  max_segment_ms: 4000
{early}subtitles:
  track: both
"""


async def _pieces(
    tmp_path: Path, name: str, continuous: tuple[Path, Path, dict[str, Any]], early: str
) -> list[Any]:
    wav, scenario_path, scenario = continuous
    profile = tmp_path / f"{name}.yaml"
    profile.write_text(PROFILE.format(wav=wav, early=early), encoding="utf-8")
    out = tmp_path / f"{name}.jsonl"
    async with Emulator(EmulatorOptions(scenario=load_scenario(scenario_path), model_delay_ms=0)) as emulator:
        result = await run_cli_async(
            "run", str(profile), "--endpoint", emulator.url, "--no-play", "--fast", "--subtitles", str(out)
        )
    assert result.code == 0, result.stderr[-3000:]
    return assert_every_word_once(read_jsonl(out), scenario, "es-ES")


async def test_early_cuts_reach_the_segmenter_and_lose_no_word(
    tmp_path: Path, continuous: tuple[Path, Path, dict[str, Any]]
) -> None:
    """When the cuts are decided is the segmenter's unit test and the latency benchmark's
    figure (``--fast`` has no wall clock to show it); here: the profile field changes where
    the pieces end, and they still carry every word once."""
    late = await _pieces(tmp_path, "late", continuous, "")
    early = await _pieces(tmp_path, "early", continuous, "  early_cut_ms: 2500\n")
    assert [s["end_ms"] for s in early] != [s["end_ms"] for s in late]
