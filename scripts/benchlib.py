"""Shared helpers for ``bench.py`` and ``soak.py`` (and the latency acceptance test).

- the continuous-speech recording (espeak-ng through ``speechgen``): about 40 s of
  English read with 90 ms between words and 150 ms between sentences, shorter than
  any VAD silence, with exact word timings for the emulator's scripted model;
- looping a recording (and its scenario) to make long inputs;
- a real-time source of preloaded PCM that records how late each chunk was;
- percentiles and resident memory.

Not a test and not part of the package; the scripts print one JSON object each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from translator.audio.chunk import AudioChunk  # noqa: E402
from translator.emulator.speechgen import ScriptLine, synthesize, write_scenario  # noqa: E402

RATE_HZ = 24_000
CHUNK_MS = 20
WORD_GAP_MS = 90
SENTENCE_GAP_MS = 150
SPEED_WPM = 190

SCRIPT = [
    ScriptLine(
        "en-US",
        "Good morning everyone and welcome to the third session of our annual technology conference.",
        {"es-ES": "Buenos días a todos y bienvenidos a la tercera sesión de nuestra conferencia anual."},
    ),
    ScriptLine(
        "en-US",
        "Today we will talk about how speech translation works in real time.",
        {"es-ES": "Hoy hablaremos de cómo funciona la traducción de voz en tiempo real."},
    ),
    ScriptLine(
        "en-US",
        "The system listens to the speaker and cuts the speech into short pieces.",
        {"es-ES": "El sistema escucha al orador y corta el discurso en fragmentos cortos."},
    ),
    ScriptLine(
        "en-US",
        "The listener hears the translated voice while the speaker keeps talking.",
        {"es-ES": "El oyente escucha la voz traducida mientras el orador sigue hablando."},
    ),
    ScriptLine(
        "en-US",
        "If the network drops the connection the program reconnects and sends the missing audio again.",
        {"es-ES": "Si la red corta la conexión el programa se reconecta y envía otra vez el audio perdido."},
    ),
    ScriptLine(
        "en-US",
        "Nothing is lost and nothing is translated twice.",
        {"es-ES": "No se pierde nada y nada se traduce dos veces."},
    ),
    ScriptLine(
        "en-US",
        "Thank you very much for coming and enjoy the rest of the day.",
        {"es-ES": "Muchas gracias por venir y disfruten del resto del día."},
    ),
]


def continuous_recording(workdir: Path) -> tuple[Path, Path, dict[str, Any]]:
    """The ~40 s continuous-speech WAV, its scenario file and scenario dict (made once per workdir)."""
    import yaml

    wav, scenario_path = workdir / "continuous.wav", workdir / "continuous.yaml"
    if wav.exists() and scenario_path.exists():
        return wav, scenario_path, yaml.safe_load(scenario_path.read_text(encoding="utf-8"))
    workdir.mkdir(parents=True, exist_ok=True)
    scenario = synthesize(
        SCRIPT,
        wav,
        word_gap_ms=WORD_GAP_MS,
        pause_ms=SENTENCE_GAP_MS,
        lead_ms=600,
        tail_ms=1500,
        speed_wpm=SPEED_WPM,
    )
    write_scenario(scenario, scenario_path)
    return wav, scenario_path, scenario


TALK = [
    ("en-US", "Thank you all for coming this afternoon.", "Gracias a todos por venir esta tarde."),
    ("es-ES", "Es un placer estar aquí con ustedes.", "It is a pleasure to be here with you."),
    ("en-US", "Let us start with the quarterly results.", "Empecemos con los resultados trimestrales."),
    ("es-ES", "Las ventas subieron un diez por ciento.", "Sales went up by ten percent."),
    ("en-US", "That is better than we expected.", "Eso es mejor de lo que esperábamos."),
    ("es-ES", "Sí, el equipo hizo un gran trabajo.", "Yes, the team did a great job."),
    ("en-US", "What are the plans for next year?", "¿Cuáles son los planes para el próximo año?"),
    ("es-ES", "Vamos a abrir dos oficinas nuevas.", "We are going to open two new offices."),
    ("en-US", "Where will the new offices be?", "¿Dónde estarán las nuevas oficinas?"),
    ("es-ES", "Una en Madrid y otra en Lisboa.", "One in Madrid and another in Lisbon."),
    ("en-US", "Excellent, that sounds very promising.", "Excelente, suena muy prometedor."),
    ("es-ES", "Gracias, seguiremos informando.", "Thank you, we will keep you informed."),
    ("en-US", "Let us take a short break now.", "Hagamos una breve pausa ahora."),
    ("es-ES", "Volvemos en diez minutos.", "We will be back in ten minutes."),
]
"""A meeting: 14 sentences alternating English and Spanish, each with its translation."""


def talk_recording(workdir: Path, pause_ms: int) -> tuple[Path, Path, dict[str, Any]]:
    """``TALK`` spoken with ``pause_ms`` between sentences: WAV, scenario file and dict (made once)."""
    import yaml

    wav, scenario_path = workdir / f"talk-{pause_ms}.wav", workdir / f"talk-{pause_ms}.yaml"
    if wav.exists() and scenario_path.exists():
        return wav, scenario_path, yaml.safe_load(scenario_path.read_text(encoding="utf-8"))
    workdir.mkdir(parents=True, exist_ok=True)
    other = {"en-US": "es-ES", "es-ES": "en-US"}
    script = [ScriptLine(lang, text, {other[lang]: tr}) for lang, text, tr in TALK]
    scenario = synthesize(script, wav, pause_ms=pause_ms)
    write_scenario(scenario, scenario_path)
    return wav, scenario_path, scenario


def loop_recording(
    wav: Path, scenario: dict[str, Any], times: int, out_wav: Path, out_scenario: Path | None = None
) -> dict[str, Any]:
    """Write ``wav`` repeated ``times`` times (and the matching scenario with shifted word times)."""
    data, rate = soundfile.read(wav, dtype="int16")
    period_ms = len(data) * 1000 // rate
    with soundfile.SoundFile(out_wav, "w", rate, 1, subtype="PCM_16") as f:
        for _ in range(times):
            f.write(data)
    utterances = []
    for k in range(times):
        shift = k * period_ms
        for u in scenario["utterances"]:
            utterances.append(
                {
                    **u,
                    "start_ms": u["start_ms"] + shift,
                    "end_ms": u["end_ms"] + shift,
                    "words": [[w, a + shift, b + shift] for w, a, b in u["words"]],
                }
            )
    looped = {**scenario, "audio": out_wav.name, "utterances": utterances}
    if out_scenario is not None:
        write_scenario(looped, out_scenario)
    return looped


def read_pcm(wav: Path, seconds: float | None = None) -> bytes:
    """Mono int16 at 24 kHz (the recordings made here already are)."""
    data, rate = soundfile.read(wav, dtype="int16", always_2d=True)
    if rate != RATE_HZ:
        raise ValueError(f"{wav}: expected {RATE_HZ} Hz, got {rate}")
    mono = data[:, 0]
    if seconds is not None:
        mono = mono[: int(seconds * RATE_HZ)]
    return bytes(mono.astype("<i2").tobytes())


class PacedSource:
    """Preloaded PCM handed out in 20 ms chunks at real-time pace (an ``AudioSource``).

    Records, for every chunk, the monotonic time it was handed to the pipeline
    (``handed_s``) and how late that was against the audio clock (``late_ms``): a
    pipeline that cannot keep up with real time shows a growing lateness.
    """

    sample_rate_hz = RATE_HZ

    def __init__(self, pcm: bytes, *, start_delay_s: float = 0.0, trailing_silence_ms: int = 1000) -> None:
        self._pcm = pcm + bytes(RATE_HZ * 2 * trailing_silence_ms // 1000)
        self._delay_s = start_delay_s
        self.handed_s: list[float] = []
        self.late_ms: list[float] = []
        self._closed = False

    async def chunks(self) -> AsyncIterator[AudioChunk]:
        step = RATE_HZ * 2 * CHUNK_MS // 1000
        await asyncio.sleep(self._delay_s)
        t0 = time.monotonic()
        for i in range(0, len(self._pcm), step):
            if self._closed:
                return
            due = t0 + (i + step) / (2 * RATE_HZ)
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            now = time.monotonic()
            self.handed_s.append(now)
            self.late_ms.append((now - due) * 1000.0)
            yield AudioChunk(self._pcm[i : i + step], i * 1000 // (2 * RATE_HZ))

    async def aclose(self) -> None:
        self._closed = True


def pct(values: Sequence[float], qs: Sequence[int] = (50, 95, 99)) -> dict[str, float | None]:
    if not len(values):
        return {f"p{q}": None for q in qs} | {"max": None, "n": 0}
    a = np.asarray(values, dtype=np.float64)
    out: dict[str, float | None] = {f"p{q}": round(float(np.percentile(a, q)), 2) for q in qs}
    return out | {"max": round(float(a.max()), 2), "n": int(a.size)}


def rss_mb(pid: int | str = "self") -> float:
    """Resident set size (VmRSS) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024.0, 1)
    return 0.0


def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    return {"nproc": os.cpu_count(), "cpu": model, "python": sys.version.split()[0]}


def quiet_logs() -> None:
    import logging

    import structlog

    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),  # stdout carries the JSON only
    )


def profile_yaml(
    path: Path, *, input_spec: str = "mic", max_segment_ms: int | None = 4000, turns: str = "client"
) -> Path:
    ms = "null" if max_segment_ms is None else str(max_segment_ms)
    path.write_text(
        "name: bench\n"
        f"input: {input_spec}\n"
        "output: none\n"
        "directions:\n  - {source: en-US, target: es-ES}\n"
        f"turn_detection:\n  type: {turns}\n  max_segment_ms: {ms}\n"
        "subtitles:\n  track: both\n",
        encoding="utf-8",
    )
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="make the continuous-speech recording in DIR")
    parser.add_argument("dir", type=Path)
    args = parser.parse_args(argv)
    wav, scenario_path, scenario = continuous_recording(args.dir)
    last = scenario["utterances"][-1]["end_ms"]
    print(json.dumps({"wav": str(wav), "scenario": str(scenario_path), "speech_s": last / 1000}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
