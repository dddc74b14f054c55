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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import structlog

from translator.errors import InputError, Interrupted, TranslatorError
from translator.listen.arbiter import Arbiter
from translator.listen.pipeline import InputPipeline
from translator.listen.segmenter import VadParams
from translator.logs import redact, register_secret
from translator.outputs import OutputPlan, StagedOutputs, plan_outputs, resolve_profile_path
from translator.outputs_io import close_all, on_first_result, settle, write_output_text
from translator.profile.model import Direction, Profile
from translator.samples import Sample
from translator.samples import bundled as bundled_samples
from translator.samples import pick as pick_sample
from translator.sinks import Dispatcher, drain_and_close, open_audience, open_player, open_sinks, tap_all
from translator.summary import summarize
from translator.voicelive.connect import ServiceTarget, target_from_env
from translator.voicelive.session import Session, SessionTimings

if TYPE_CHECKING:
    from translator.audio import Player
    from translator.serve import AudienceServer, ServeOptions

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
    serve: ServeOptions | None = None
    """The audience server, when asked for."""
    audio_stream: int | None = None
    profile_dir: Path | None = None  # the profile's own paths are relative to it
    trailing_silence_ms: int = 1000
    timings: SessionTimings = field(default_factory=SessionTimings)


class Run:
    def __init__(self, profile: Profile, options: RunOptions) -> None:
        self.profile = profile
        self.options = options
        self._input_tasks: list[asyncio.Future[None]] = []
        self._sessions: list[tuple[Session, asyncio.Future[None]]] = []
        self._stop_requested = False
        self._player: Player | None = None
        self._audience: AudienceServer | None = None
        self._dispatch = Dispatcher()
        self._staged = StagedOutputs({})
        self._warned_sample = False

    def request_stop(self) -> None:
        """First Ctrl-C: stop listening, finish what was heard."""
        if not self._stop_requested:
            self._stop_requested = True
            log.info("stopping", reason="interrupt", hint="press Ctrl-C again to stop at once")
            for t in self._input_tasks:
                t.cancel()
            for session, task in self._sessions:
                if not session.connected:  # still trying to connect: stop trying
                    log.warning("connection_attempts_stopped", direction=session.key)
                    task.cancel()

    async def execute(self) -> dict[str, Any]:
        plan = self._plan()  # every output path checked before anything is opened
        async with contextlib.AsyncExitStack() as stack:
            target = await self._target(stack)
            register_secret(target.api_key)
            # Inputs open before any output: a bad input leaves existing files untouched.
            sources = await self._open_sources(stack)
            staged = StagedOutputs.create(plan.files())
            stack.push(settle(staged, later=plan.stats))
            self._staged = staged
            dispatch = Dispatcher()
            dispatch.add(on_first_result(lambda: staged.publish_all(except_=[plan.stats or ""])))
            # Exit runs in reverse: inputs close, then subtitle files, then the player drains.
            self._player = player = open_player(self.profile, dispatch, play=self.options.play)
            if player is not None:
                stack.push_async_callback(drain_and_close, player)
            closers = open_sinks(self.profile, self.options, dispatch, plan, staged)
            stack.callback(close_all, closers)
            if self.options.serve is not None:
                self._audience = open_audience(self.profile, self.options.serve, dispatch)
                stack.push_async_callback(self._audience.aclose)
            sessions, pipelines = self._build(target, dispatch, sources)
            for p in pipelines:
                stack.push_async_callback(p.aclose)
            await self._run(sessions, pipelines)
            summary = summarize(self.profile, sessions, player, pipelines, fast=self.options.fast)
            self._dispatch = dispatch
        if self._dispatch.failures:
            more = len(self._dispatch.failures) - 1
            raise OutputFailed(self._dispatch.failures[0] + (f" (and {more} more)" if more else ""))
        return summary

    def _plan(self) -> OutputPlan:
        stats = self.options.stats_path
        return plan_outputs(
            self.profile,
            subtitles=self.options.subtitles,
            audio_out=self.options.audio_out,
            stats=None if stats is None else str(stats),
            profile_dir=self.options.profile_dir,
        )

    def write_stats(self, summary: dict[str, Any]) -> None:
        """After the summary is printed: the figures as JSON (``-``: stdout)."""
        if self.options.stats_path is None:
            return
        text = redact(json.dumps(summary, indent=2, ensure_ascii=False)) + "\n"
        path = str(self.options.stats_path)
        if path == "-":
            print(text, end="", flush=True)
            return
        write_output_text(self._staged, path, text)

    async def _target(self, stack: contextlib.AsyncExitStack) -> ServiceTarget:
        svc = self.profile.service
        if not self.options.emulator:
            return target_from_env(
                self.options.endpoint or svc.endpoint, svc.model, svc.api_version, svc.connect_timeout_s
            )
        from translator.emulator import Emulator, EmulatorOptions, load_scenario

        scenario_path = self.options.scenario or self._bundled_scenario()
        scenario = load_scenario(scenario_path) if scenario_path is not None else None
        emulator = await stack.enter_async_context(Emulator(EmulatorOptions(scenario=scenario)))
        log.info("emulator_started", url=emulator.url, scenario=str(scenario_path) if scenario_path else None)
        return ServiceTarget(emulator.url, svc.model, svc.api_version, EMULATOR_KEY, svc.connect_timeout_s)

    def _bundled_scenario(self) -> Path | None:
        """The scenario of the bundled sample the input is, if it is one."""
        spec = Path(self._input_spec(self.profile.directions[0])).resolve()
        return next((s.scenario for s in bundled_samples() if s.audio.resolve() == spec), None)

    def _sample(self) -> Sample:
        """The bundled sample in this profile's languages (a warning when there is none)."""
        sample, fits = pick_sample((d.source, d.target) for d in self.profile.directions)
        if not fits and not self._warned_sample:
            self._warned_sample = True
            log.warning(
                "sample_languages_differ",
                sample=sample.name,
                hint="no bundled sample speaks this profile's languages; give --input FILE (and --scenario)",
            )
        return sample

    def _input_spec(self, direction: Direction) -> str:
        if self.options.input:
            return self.options.input
        spec = resolve_profile_path(self.profile.input_of(direction), self.options.profile_dir)
        if self.options.emulator and spec.startswith("mic") and self.options.scenario is None:
            return str(self._sample().audio)  # the quickstart: the bundled recording through the emulator
        return spec

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
            early_cut_ms=td.early_cut_ms,
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
            monitor = tap_all(taps) if taps and i == 0 else None
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
        self._sessions = list(zip(sessions, session_tasks, strict=True))
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
        if self._stop_requested and not any(s.ever_started for s in sessions):
            raise Interrupted("interrupted while connecting to the service; nothing was translated")
