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
import bisect
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
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

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


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


# -- directions built in-process (as app.py builds them), instrumented ---------------------------


@dataclass
class DirectionResult:
    max_segment_ms: int | None
    opened: int = 0
    translated: int = 0
    skipped: int = 0
    late_ms: list[float] = field(default_factory=list)
    audio_handed_s: list[float] = field(default_factory=list)
    capture_to_append_ms: list[float] = field(default_factory=list)
    chunk_to_append_ms: list[float] = field(default_factory=list)
    ear_voice_span_ms: list[float] = field(default_factory=list)


def _instrumented_classes() -> tuple[type[Any], type[Any]]:
    """A segmenter that records what it releases, a session that records what it sends.

    Benchmark instrumentation only: they override private methods to observe, not to change.
    """
    from translator.listen.segmenter import Segmenter
    from translator.voicelive.session import Session

    class RecordingSegmenter(Segmenter):
        releases: list[tuple[str, int, int]]

        def _release(self, out: list[Any], upto: int | None = None) -> None:
            first = self._pending_first
            super()._release(out, upto)
            if self._pending_first > first and self._open is not None:
                self.__dict__.setdefault("releases", []).append(
                    (self._open, first, self._pending_first - first)
                )

    class TimedSession(Session):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.sent: list[tuple[float, str, int, str]] = []

        async def _post(self, conn: Any, event: dict[str, Any]) -> None:
            await super()._post(conn, event)
            audio = event.get("audio") or ""
            size = len(audio) * 3 // 4 - audio[-2:].count("=") if audio else 0
            self.sent.append((time.monotonic(), event["type"], size, event.get("event_id", "")))

    return RecordingSegmenter, TimedSession


def _append_latencies(seg: Any, session: Any, source: PacedSource, result: DirectionResult) -> None:
    first_frame: dict[str, int] = {}
    for utt, first, _ in getattr(seg, "releases", []):
        first_frame.setdefault(utt, first)
    order = list(first_frame)
    frame_ms = seg.position_ms // max(1, seg._seen)  # the segmenter's frame (its detector's hop)
    frame_bytes = RATE_HZ * 2 * frame_ms // 1000
    k = offset = 0
    for t, type_, size, event_id in session.sent:
        if type_ == "input_audio_buffer.append" and k < len(order):
            offset += size
            last_frame = first_frame[order[k]] + (offset - 1) // frame_bytes
            captured = source.handed_s[min(len(source.handed_s) - 1, last_frame * frame_ms // CHUNK_MS)]
            result.capture_to_append_ms.append((t - captured) * 1000.0)
            newest = source.handed_s[bisect.bisect_right(source.handed_s, t) - 1]
            result.chunk_to_append_ms.append((t - newest) * 1000.0)
        elif type_ == "input_audio_buffer.commit":
            if event_id.split("-")[1] != order[k]:
                raise RuntimeError(f"append attribution lost: {event_id} is not {order[k]}")
            k += 1
            offset = 0


async def run_directions(
    url: str,
    wav: Path,
    *,
    max_segments: Sequence[int | None],
    stagger_s: float,
    seconds: float | None = None,
    record: bool = False,
    wav_dir: Path | None = None,
) -> list[DirectionResult]:
    """One real-time direction per ``max_segments`` entry, each with its own input and connection."""
    import tempfile

    from translator.audio import WavSink
    from translator.events import (
        SpeechStarted,
        TranslationAudio,
        TranslationFinal,
        TranslatorEvent,
        UtteranceSkipped,
    )
    from translator.listen.arbiter import Arbiter
    from translator.listen.pipeline import InputPipeline
    from translator.listen.segmenter import Segmenter, VadParams
    from translator.profile.model import load_profile
    from translator.voicelive.connect import ServiceTarget
    from translator.voicelive.session import Session

    with tempfile.TemporaryDirectory() as tmp:
        profile = load_profile(profile_yaml(Path(tmp) / "p.yaml"))
    direction = profile.directions[0]
    target = ServiceTarget(url, profile.service.model, profile.service.api_version, "bench-key", 60.0)
    td = profile.turn_detection
    pcm = read_pcm(wav, seconds)
    seg_cls, session_cls = _instrumented_classes() if record else (Segmenter, Session)
    runs = []
    results: list[DirectionResult] = []
    sinks: list[Any] = []
    for i, max_ms in enumerate(max_segments):
        result = DirectionResult(max_ms)
        results.append(result)
        sink = WavSink(wav_dir / f"latency-{i}.wav") if wav_dir is not None else None
        if sink is not None:
            sinks.append(sink)

        def emit(ev: TranslatorEvent, r: DirectionResult = result, sink: Any = sink) -> None:
            if isinstance(ev, TranslationAudio):
                if sink is not None:
                    sink.push(ev)
                r.audio_handed_s.append(time.monotonic())
            elif isinstance(ev, SpeechStarted):
                r.opened += 1
            elif isinstance(ev, TranslationFinal):
                r.translated += 1
            elif isinstance(ev, UtteranceSkipped):
                r.skipped += 1

        source = PacedSource(pcm)
        session = session_cls(direction, profile, target, emit, Arbiter())
        vad = VadParams(
            td.threshold, td.prefix_padding_ms, td.silence_duration_ms, td.speech_duration_ms, max_ms
        )
        pipeline = InputPipeline(source, [session], vad, emit, fast=False)
        segmenter = seg_cls(vad, RATE_HZ)
        pipeline._segmenter = segmenter  # the recording segmenter behaves exactly like the plain one
        runs.append((i * stagger_s, source, session, pipeline, segmenter, result))

    async def one(delay: float, source: PacedSource, session: Any, pipeline: Any) -> None:
        await asyncio.sleep(delay)
        await asyncio.gather(session.run(), pipeline.run())

    try:
        await asyncio.wait_for(
            asyncio.gather(*(one(d, src, s, p) for d, src, s, p, _, _ in runs)),
            len(pcm) / (2 * RATE_HZ) + len(runs) * stagger_s + 120,
        )
    finally:
        for sink in sinks:
            sink.close()
    for _, source, session, _, segmenter, result in runs:
        result.late_ms = source.late_ms
        result.ear_voice_span_ms = [
            x.ear_voice_span_ms for x in session.stats.latencies if x.ear_voice_span_ms is not None
        ]
        if record:
            _append_latencies(segmenter, session, source, result)
    return results


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
