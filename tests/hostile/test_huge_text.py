"""A 3.5 MB response transcript: the run completes, subtitles are laid out with the cap,
and Ctrl-C still works while such a text arrives."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
import srt

from tests.hostile.server import HOSTILE_KEY, PROFILE, ROOT, SAMPLES, run_hostile, scenario_with
from translator.emulator import Emulator, EmulatorOptions, load_scenario
from translator.subtitles.layout import MAX_TEXT_CHARS

WORD = "x" * 6999  # 500 words of 7,000 characters: 3.5 MB in 500 deltas
HUGE = " ".join([WORD] * 500)


def _huge(data: dict[str, Any]) -> None:
    data["ms_per_char"] = 0.002  # the emulator's synthesized speech: 7 s for 3.5 MB
    data["utterances"][0]["translations"] = {"es-ES": HUGE}


@pytest.mark.slow
async def test_a_3_5_mb_transcript_completes(tmp_path: Path) -> None:
    outcome = await run_hostile(tmp_path, [], edit=_huge)
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert outcome.took_s < 150
    texts = [t["text"] for t in outcome.translations()]
    assert len(texts) == 4 and len(texts[0]) == len(HUGE)  # JSONL keeps the whole text
    cues = list(srt.parse((outcome.out / "all.srt").read_text(encoding="utf-8")))
    assert sum(len(c.content) for c in cues) < 4 * MAX_TEXT_CHARS  # the layout cap held


@pytest.mark.slow
async def test_ctrl_c_works_while_a_huge_transcript_arrives(tmp_path: Path) -> None:
    scenario = load_scenario(scenario_with(tmp_path, [], _huge))
    profile = tmp_path / "pair.yaml"
    profile.write_text(PROFILE.format(input=SAMPLES / "en-es-sample.wav", timeout=15), encoding="utf-8")
    env = {**os.environ, "AZURE_COGNITIVE_SERVICES_KEY": HOSTILE_KEY}
    async with Emulator(EmulatorOptions(scenario=scenario, pacing=1.0)) as emu:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "translator", "--log-format", "json", "run", str(profile),
            "--endpoint", emu.url, "--no-play", "--subtitles", str(tmp_path / "out.srt"),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env, cwd=ROOT,
        )  # fmt: skip
        await asyncio.sleep(8)  # real time: the first translation is on its way
        proc.send_signal(signal.SIGINT)
        await asyncio.sleep(1)
        proc.send_signal(signal.SIGINT)  # the second one cancels at once
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert b"Traceback" not in err
    list(srt.parse((tmp_path / "out.srt").read_text(encoding="utf-8")))
