"""The composition root: a profile and run options in, a finished run out.

Builds the sinks (subtitle files, stdout, player, WAV files), one session per
direction, one arbiter and one input pipeline per distinct input, runs them, and
owns the shutdown order, written once here:

    stop the input → let sessions finish their last translation (with a timeout)
    → close the connections → flush and close subtitle files → drain the player
    → return the summary (the CLI prints it).

A first Ctrl-C takes that path (``request_stop``); a second cancels everything, and
the files are still closed valid.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import structlog

from translator.errors import InputError, TranslatorError, UsageError
from translator.events import TranslationAudio, TranslatorEvent
from translator.listen.arbiter import Arbiter
from translator.listen.pipeline import InputPipeline
from translator.listen.segmenter import VadParams
from translator.logs import redact, redact_fields, register_secret
from translator.profile.model import Direction, Profile
from translator.summary import summarize
from translator.voicelive.connect import ServiceTarget, target_from_env
from translator.voicelive.session import Session, SessionTimings

log = structlog.get_logger(__name__)


class OutputFailed(TranslatorError):
    """An output could not be written (the others went on); the run ends non-zero."""

SAMPLES = Path(__file__).parent / "samples"
SAMPLE_AUDIO = SAMPLES / "en-es-sample.wav"
SAMPLE_SCENARIO = SAMPLES / "en-es-sample.yaml"
EMULATOR_KEY = "emulator-local-key"


@dataclass(frozen=True)
class RunOptions:
    input: str | None = None
    subtitles: tuple[str, ...] = ()
    audio_out: str | None = None
    play: bool = True
    fast: bool = False
    endpoint: str | None = None
    emulator: bool = False
    scenario: Path | None = None
    quiet: bool = False
    bilingual: Literal["off", "source-first", "translation-first"] | None = None
    stats_path: Path | None = None
    serve: Any = None  # translator.serve.ServeOptions: the audience server, when asked for
    audio_stream: int | None = None
    trailing_silence_ms: int = 1000
    timings: SessionTimings = field(default_factory=SessionTimings)


class Dispatcher:
    """Routes every event to every sink, in order, on the event loop."""

    def __init__(self) -> None:
        self._handlers: list[Callable[[TranslatorEvent], None]] = []
        self.failures: list[str] = []
        """Outputs that failed to write (a full disk...): reported once, then left out."""

    def add(self, handler: Callable[[TranslatorEvent], None]) -> None:
        self._handlers.append(handler)

    def __call__(self, event: TranslatorEvent) -> None:
        if not isinstance(event, TranslationAudio):  # every text that reaches a sink, redacted once here
            event = redact_fields(event)
        for handler in self._handlers:
            try:
                handler(event)
            except (TranslatorError, OSError) as e:  # one output failing (a full disk) never stops the others
                self._drop(handler, e)

    def _drop(self, handler: Callable[[TranslatorEvent], None], error: Exception) -> None:
        message = redact(str(error))
        log.error("output_failed", error=message)
        self.failures.append(message)
        self._handlers = [h for h in self._handlers if h is not handler]


class Run:
    def __init__(self, profile: Profile, options: RunOptions) -> None:
        self.profile = profile
        self.options = options
        self._input_tasks: list[asyncio.Future[None]] = []
        self._stop_requested = False
        self._player: Any = None
        self._audience: Any = None
        self._dispatch = Dispatcher()

    def request_stop(self) -> None:
        """First Ctrl-C: stop listening, finish what was heard."""
        if not self._stop_requested:
            self._stop_requested = True
            log.info("stopping", reason="interrupt")
            for t in self._input_tasks:
                t.cancel()

    async def execute(self) -> dict[str, Any]:
        async with contextlib.AsyncExitStack() as stack:
            target = await self._target(stack)
            register_secret(target.api_key)
            # Inputs open before any output: a bad input leaves existing files untouched.
            sources = await self._open_sources(stack)
            dispatch = Dispatcher()
            # Exit runs in reverse: inputs close, then subtitle files, then the player drains.
            player = self._open_player(dispatch)
            if player is not None:
                stack.push_async_callback(_drain_and_close, player)
            closers = self._open_sinks(dispatch)
            stack.callback(_close_all, closers)
            if self.options.serve is not None:
                stack.push_async_callback(self._open_audience(dispatch).aclose)
            sessions, pipelines = self._build(target, dispatch, sources)
            for p in pipelines:
                stack.push_async_callback(p.aclose)
            await self._run(sessions, pipelines)
            summary = summarize(self.profile, sessions, player, pipelines)
            self._dispatch = dispatch
        if self.options.stats_path is not None:
            self.options.stats_path.write_text(
                redact(json.dumps(summary, indent=2, ensure_ascii=False)), encoding="utf-8"
            )
        if self._dispatch.failures:
            more = len(self._dispatch.failures) - 1
            raise OutputFailed(self._dispatch.failures[0] + (f" (and {more} more)" if more else ""))
        return summary

    async def _target(self, stack: contextlib.AsyncExitStack) -> ServiceTarget:
        svc = self.profile.service
        if not self.options.emulator:
            return target_from_env(
                self.options.endpoint or svc.endpoint, svc.model, svc.api_version, svc.connect_timeout_s
            )
        from translator.emulator import Emulator, EmulatorOptions, load_scenario

        scenario_path = self.options.scenario
        if scenario_path is None and self._uses_sample():
            scenario_path = SAMPLE_SCENARIO
        scenario = load_scenario(scenario_path) if scenario_path is not None else None
        emulator = await stack.enter_async_context(Emulator(EmulatorOptions(scenario=scenario)))
        log.info("emulator_started", url=emulator.url, scenario=str(scenario_path) if scenario_path else None)
        return ServiceTarget(emulator.url, svc.model, svc.api_version, EMULATOR_KEY, svc.connect_timeout_s)

    def _uses_sample(self) -> bool:
        return self._input_spec(self.profile.directions[0]) == str(SAMPLE_AUDIO)

    def _input_spec(self, direction: Direction) -> str:
        if self.options.input:
            return self.options.input
        spec = self.profile.input_of(direction)
        if self.options.emulator and spec.startswith("mic") and self.options.scenario is None:
            return str(SAMPLE_AUDIO)  # the quickstart: the bundled recording through the emulator
        return spec

    # -- sinks ------------------------------------------------------------------------------

    def _open_sinks(self, dispatch: Dispatcher) -> list[Any]:
        from translator.subtitles import SubtitleError, SubtitleOptions, open_stdout_sink, open_subtitle_sink
        from translator.subtitles.aliases import one_writer_per_file

        sub = self.profile.subtitles
        options = SubtitleOptions(
            max_chars=sub.max_chars,
            max_lines=sub.max_lines,
            min_duration_ms=sub.min_duration_ms,
            max_cps=sub.max_cps,
            bilingual=self.options.bilingual or sub.bilingual,
            track=sub.track,
            profanity=sub.profanity,
        )
        sinks: list[Any] = []
        wanted: list[tuple[str, str | None]] = []
        for path in self.options.subtitles:
            if "{target}" in path or "{source}" in path:
                wanted += [
                    (path.format(target=d.target, source=d.source), d.target) for d in self.profile.directions
                ]
            else:
                wanted.append((path, None))
        for d in self.profile.directions:
            wanted += [(p.format(target=d.target, source=d.source), d.target) for p in d.subtitles]
        stdout_taken = any(p == "-" for p, _ in wanted)
        try:
            for path, target in one_writer_per_file(wanted):
                if path == "-":
                    sinks.append(open_stdout_sink(options, quiet=self.options.quiet))
                else:
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                    sinks.append(open_subtitle_sink(path, options, target_language=target))
            if not stdout_taken and not self.options.quiet:
                sinks.append(open_stdout_sink(options, quiet=False))
        except (SubtitleError, OSError) as e:
            _close_all(sinks)
            raise UsageError(str(e)) from None
        for s in sinks:
            dispatch.add(s.handle)
        wavs = self._open_wavs()
        for key, wav in wavs.items():
            dispatch.add(_only_audio(key, wav.push))
        return sinks + list(dict.fromkeys(wavs.values()))

    def _open_audience(self, dispatch: Dispatcher) -> Any:
        from translator.serve import AudienceServer
        from translator.subtitles import SubtitleOptions

        sub = self.profile.subtitles
        options = SubtitleOptions(
            sub.max_chars, sub.max_lines, sub.min_duration_ms, sub.max_cps, profanity=sub.profanity
        )
        directions = [(d.source, d.target) for d in self.profile.directions]
        self._audience = AudienceServer(directions, self.options.serve, options, title=self.profile.name)
        self._audience.start()
        dispatch.add(self._audience.handle)
        return self._audience

    def _open_wavs(self) -> dict[str, Any]:
        from translator.audio import WavSink

        by_path: dict[str, Any] = {}
        routes: dict[str, Any] = {}
        targets = {d.target for d in self.profile.directions}
        for d in self.profile.directions:
            pattern = self.options.audio_out or d.audio_out
            if not pattern:
                continue
            if (
                "{target}" not in pattern
                and len(targets) > 1
                and len(self.profile.directions) > 1
                and self._is_one_to_many()
            ):
                raise UsageError(
                    "--audio-out: several targets translate every utterance; put {target} in the path"
                )
            path = os.path.realpath(pattern.format(target=d.target, source=d.source))  # one writer per file
            if path not in by_path:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                by_path[path] = WavSink(Path(path))
            routes[d.key] = by_path[path]
        return routes

    def _is_one_to_many(self) -> bool:
        sources = {d.source for d in self.profile.directions}
        return len(sources) < len(self.profile.directions)

    def _open_player(self, dispatch: Dispatcher) -> Any:
        if not self.options.play:
            return None
        routes = {d.key: self.profile.output_of(d) for d in self.profile.directions}
        routes = {k: v for k, v in routes.items() if v.lower() != "none"}
        if not routes:
            return None
        from translator.audio import AudioDeviceError, Player

        pb = self.profile.playback
        try:
            player = Player.open(
                routes,
                prebuffer_ms=pb.prebuffer_ms,
                monitor=pb.monitor_device if pb.monitor else None,
                duck_db=pb.duck_db,
            )
        except AudioDeviceError as e:
            raise InputError(str(e)) from None
        if player is not None:
            dispatch.add(_only_audio(None, player.push))
        self._player = player
        return player

    # -- sessions and inputs ----------------------------------------------------------------

    def _inputs(self) -> dict[str, list[Direction]]:
        by_input: dict[str, list[Direction]] = {}
        for d in self.profile.directions:
            by_input.setdefault(self._input_spec(d), []).append(d)
        return by_input

    async def _open_sources(self, stack: contextlib.AsyncExitStack) -> dict[str, Any]:
        from translator.audio import AudioError, open_source
        from translator.audio.urls import is_url

        sources: dict[str, Any] = {}
        try:
            for spec in self._inputs():
                opening = functools.partial(
                    open_source,
                    spec,
                    realtime=not self.options.fast,
                    trailing_silence_ms=self.options.trailing_silence_ms,
                    audio_stream=self.options.audio_stream,
                )
                # A URL may take up to its timeout to open: off the loop, so signals are still heard.
                sources[spec] = await asyncio.to_thread(opening) if is_url(spec) else opening()
                stack.push_async_callback(sources[spec].aclose)
        except AudioError as e:
            raise InputError(str(e)) from None
        return sources

    def _build(
        self, target: ServiceTarget, dispatch: Dispatcher, sources: dict[str, Any]
    ) -> tuple[list[Session], list[InputPipeline]]:
        td = self.profile.turn_detection
        vad = VadParams(
            td.threshold,
            td.prefix_padding_ms,
            td.silence_duration_ms,
            td.speech_duration_ms,
            td.max_segment_ms,
            td.detector,
        )
        by_input = self._inputs()
        sessions: list[Session] = []
        pipelines: list[InputPipeline] = []
        for i, (spec, directions) in enumerate(by_input.items()):
            arbiter = Arbiter()
            name = "input" if len(by_input) == 1 else f"in{i + 1}"
            prefix = "u" if name == "input" else f"{name}-"
            group = [
                Session(d, self.profile, target, dispatch, arbiter, self.options.timings, id_prefix=prefix)
                for d in directions
            ]
            sessions += group
            source = sources[spec]
            taps = [self._player.push_monitor] if self._player is not None else []
            taps += [self._audience.push_original] if self._audience is not None else []
            monitor = _tap_all(taps) if taps and i == 0 else None
            pipelines.append(
                InputPipeline(
                    source,
                    group,
                    vad,
                    dispatch,
                    fast=self.options.fast,
                    by_service=td.by_service,
                    name=name,
                    id_prefix=prefix,
                    monitor=monitor,
                )
            )
        return sessions, pipelines

    async def _run(self, sessions: list[Session], pipelines: list[InputPipeline]) -> None:
        from translator.audio import AudioError

        session_tasks = [asyncio.ensure_future(s.run()) for s in sessions]
        self._input_tasks = [asyncio.ensure_future(p.run()) for p in pipelines]
        if self._stop_requested:
            for t in self._input_tasks:
                t.cancel()
        pending: set[asyncio.Future[None]] = set(session_tasks) | set(self._input_tasks)
        try:
            while pending:
                timeout = self.options.timings.finish_timeout_s if self._stop_requested else None
                done, pending = await asyncio.wait(
                    pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                if not done:
                    log.warning("finish_timeout", unfinished=[s.key for s in sessions if not s.finished()])
                    break
                for t in done:
                    if t.cancelled():
                        continue
                    error = t.exception()
                    if isinstance(error, AudioError):
                        raise InputError(str(error)) from None
                    if error is not None:
                        raise error
        finally:
            for t in [*session_tasks, *self._input_tasks]:
                t.cancel()
            await asyncio.gather(*session_tasks, *self._input_tasks, return_exceptions=True)


def _only_audio(
    key: str | None, push: Callable[[TranslationAudio], None]
) -> Callable[[TranslatorEvent], None]:
    def handle(event: TranslatorEvent) -> None:
        if isinstance(event, TranslationAudio) and (key is None or event.direction == key):
            push(event)

    return handle


def _tap_all(taps: list[Callable[[Any, int], None]]) -> Callable[[Any, int], None]:
    """One input tap (the original audio) feeding the player's monitor and the audience server."""
    if len(taps) == 1:
        return taps[0]

    def tap(chunk: Any, sample_rate_hz: int) -> None:
        for t in taps:
            t(chunk, sample_rate_hz)

    return tap


def _close_all(closers: list[Any]) -> None:
    for c in closers:
        with contextlib.suppress(Exception):
            c.close()


async def _drain_and_close(player: Any) -> None:
    try:
        await player.drain()
    finally:
        player.close()
