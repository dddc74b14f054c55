"""The listener page in real Chromium against the real CLI and emulator.

A one-way English → Spanish run serves on loopback; headless Chromium (through a TCP
proxy we can cut) opens the page and taps Spanish. Its final captions must equal the
run's JSONL translations; its audio, played into the PulseAudio null sink ``vspk`` and
recorded from ``vspk.monitor``, must contain each translated utterance the run sent
(cross-correlation, as in the device tests); a network drop mid-run must be followed by
"reconnecting" and then live audio and captions again, with no caption lost or doubled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.audio.recording import Recorder
from tests.audio.signals import best_alignment
from tests.e2e.conftest import read_jsonl
from tests.serve.helpers import ServedRun, TcpProxy, chromium, wait_for
from translator.emulator.speechgen import ScriptLine, synthesize, write_scenario

pytestmark = [pytest.mark.slow, pytest.mark.needs_pulse]

LINES = [
    ("Welcome to the annual meeting of the association.", "Bienvenidos a la reunión anual de la asociación."),
    ("The first session starts in ten minutes.", "La primera sesión empieza en diez minutos."),
    ("Please take a seat near the front.", "Por favor, siéntense cerca del frente."),
    ("Coffee will be served in the hall.", "El café se servirá en el vestíbulo."),
    ("Our guest speaker comes from Madrid.", "Nuestra invitada viene de Madrid."),
    ("Thank you all for coming today.", "Gracias a todos por venir hoy."),
]


def _regions(x: np.ndarray, rate: int, floor: float = 0.01, gap_s: float = 0.5) -> list[tuple[int, int]]:
    loud = np.flatnonzero(np.abs(x) > floor)
    if loud.size == 0:
        return []
    regions, start, last = [], int(loud[0]), int(loud[0])
    for i in loud[1:]:
        if i - last > gap_s * rate:
            regions.append((start, last))
            start = int(i)
        last = int(i)
    regions.append((start, last))
    return regions


def test_listener_page_hears_and_reads_spanish_and_resumes_after_a_drop(tmp_path: Path) -> None:
    wav, scenario_path = tmp_path / "talk.wav", tmp_path / "talk.yaml"
    script = [ScriptLine("en-US", en, {"es-ES": es}) for en, es in LINES]
    # 8 s of silence first: the page is open and live before the first translation plays
    write_scenario(synthesize(script, wav, lead_ms=8000), scenario_path)
    profile = tmp_path / "talk-profile.yaml"
    profile.write_text(
        "name: Annual meeting\ndirections: [{source: en-US, target: es-ES}]\n"
        "turn_detection: {max_segment_ms: null}\n",
        encoding="utf-8",
    )
    jsonl, sent = tmp_path / "lines.jsonl", tmp_path / "sent.wav"
    recorder = None
    run = ServedRun(
        "run", str(profile), "--emulator", "--scenario", str(scenario_path), "--input", str(wav),
        "--no-play", "--quiet", "--subtitles", str(jsonl), "--audio-out", str(sent),
        "--serve", "127.0.0.1:0",
    )  # fmt: skip
    proxy = TcpProxy(run.port)
    states: list[str] = []
    try:
        with chromium(pulse_sink="vspk") as driver:
            recorder = Recorder("vspk.monitor")
            driver.get(f"http://127.0.0.1:{proxy.port}/")
            button = wait_for(
                lambda: driver.find_elements("css selector", "button[data-lang='es-ES']"), 20, "language list"
            )[0]
            buttons = driver.find_elements("css selector", "nav button")
            labels = [b.get_attribute("data-lang") for b in buttons]
            assert labels == ["es-ES", "original"]
            button.click()

            def state() -> str:
                value = str(driver.find_element("id", "state").get_attribute("data-state"))
                if not states or states[-1] != value:
                    states.append(value)
                return value

            def finals() -> list[str]:
                return [p.text for p in driver.find_elements("css selector", "#finals p")]

            wait_for(lambda: state() == "waiting", 20, "the audio socket")
            wait_for(lambda: state() == "live", 40, "live audio")
            wait_for(lambda: len(finals()) >= 2, 40, "two captions")
            assert proxy.cut() >= 2  # the audio socket and the caption stream
            wait_for(lambda: state() == "reconnecting", 5, "the page to notice the drop", every=0.05)
            wait_for(lambda: state() in ("live", "waiting"), 20, "the page to reconnect", every=0.05)
            wait_for(lambda: run.proc.poll() is not None, 120, "the run to end", every=0.2)
            wait_for(lambda: state() == "ended", 10, "the page to show the end")
            shown = finals()
            restarts = driver.find_element("id", "state").get_attribute("data-restarts")
    finally:
        proxy.close()
        recorded = recorder.stop() if recorder is not None else np.zeros(0)
    code, _, stderr = run.wait()
    assert code == 0, stderr[-3000:]
    assert proxy.accepted >= 4  # two connections, then two more after the cut

    translations = [x["text"] for x in read_jsonl(jsonl) if x["kind"] == "translation"]
    assert len(translations) == len(LINES)
    assert shown == translations  # every final once, in order, across the drop
    assert "live" in states and "reconnecting" in states

    speech, rate = soundfile.read(sent, dtype="float64")
    assert rate == 24_000
    regions = [r for r in _regions(speech, rate) if r[1] - r[0] > rate // 2]
    assert len(regions) == len(LINES)
    # Each translation was heard: every 0.5 s of it is found in the recording (a jitter-buffer
    # restart on a loaded machine may shift the rest of an utterance, so each piece on its own).
    window = rate // 2
    for s, e in regions:
        pieces = [speech[i : i + window] for i in range(s, e - window, window)]
        scores = [best_alignment(recorded, p)[1] for p in pieces]
        assert np.median(scores) > 0.6 and min(scores) > 0.3, (restarts, scores)  # unrelated audio: < 0.2
