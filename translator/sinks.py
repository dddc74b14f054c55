"""Where a run's events go: the dispatcher and the sinks it feeds.

Every event goes through one ``Dispatcher``, in order, on the event loop: text is
redacted once there, and an output that fails to write (a full disk) is reported and
left out while the others go on. The sinks: subtitle files and stdout
(``subtitles/``), WAV files and the player (``audio/``), and the audience server
(``serve/``). ``app.py`` opens them in this order and closes them in reverse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from translator.errors import InputError, TranslatorError, UsageError
from translator.events import TranslationAudio, TranslatorEvent
from translator.logs import redact, redact_fields
from translator.outputs import OutputPlan, StagedOutputs
from translator.outputs_io import NamedOutput, close_all
from translator.profile.model import Profile

if TYPE_CHECKING:
    from translator.app import RunOptions
    from translator.audio import AudioChunk, Player
    from translator.serve import AudienceServer, ServeOptions

log = structlog.get_logger(__name__)

Tap = Callable[["AudioChunk", int], None]
"""Where the input pipeline hands a copy of the original audio (chunk, its sample rate)."""


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


def open_sinks(
    profile: Profile, options: RunOptions, dispatch: Dispatcher, plan: OutputPlan, staged: StagedOutputs
) -> list[Any]:
    """Subtitle files, stdout and WAV files, each writing under its staged name; returns
    what must be closed."""
    from translator.audio import WavSink
    from translator.subtitles import SubtitleError, SubtitleOptions, open_stdout_sink, open_subtitle_sink

    sub = profile.subtitles
    subtitle_options = SubtitleOptions(
        max_chars=sub.max_chars,
        max_lines=sub.max_lines,
        min_duration_ms=sub.min_duration_ms,
        max_cps=sub.max_cps,
        bilingual=options.bilingual or sub.bilingual,
        track=sub.track,
        profanity=sub.profanity,
    )
    sinks: list[Any] = []
    stdout_taken = any(s.path == "-" for s in plan.subtitles)
    try:
        for out in plan.subtitles:
            if out.path == "-":
                sinks.append(open_stdout_sink(subtitle_options, quiet=options.quiet, ordered=options.fast))
            else:
                temp = staged.path_for(out.path)
                sink = open_subtitle_sink(temp, subtitle_options, target_language=out.target_language)
                sinks.append(NamedOutput(sink, out.path, temp))
        if not stdout_taken and not options.quiet:
            sinks.append(open_stdout_sink(subtitle_options, quiet=False, ordered=options.fast))
    except (SubtitleError, OSError) as e:
        close_all(sinks)
        raise UsageError(str(e)) from None
    for s in sinks:
        dispatch.add(s.handle)
    by_path = {
        p: NamedOutput(WavSink(Path(staged.path_for(p))), p, staged.path_for(p))
        for p in dict.fromkeys(plan.wav_by_direction.values())
    }
    for key, path in plan.wav_by_direction.items():
        dispatch.add(only_audio(key, by_path[path].push))
    return sinks + list(by_path.values())


def open_audience(profile: Profile, serve: ServeOptions, dispatch: Dispatcher) -> AudienceServer:
    """The audience server (listener pages, captions, streams), started."""
    from translator.serve import AudienceServer
    from translator.subtitles import SubtitleOptions

    directions = [(d.source, d.target) for d in profile.directions]
    sub = profile.subtitles
    options = SubtitleOptions(
        sub.max_chars, sub.max_lines, sub.min_duration_ms, sub.max_cps, profanity=sub.profanity
    )
    audience = AudienceServer(directions, serve, options, title=profile.name)
    audience.start()
    dispatch.add(audience.handle)
    return audience


def open_player(profile: Profile, dispatch: Dispatcher, *, play: bool) -> Player | None:
    """The player on the profile's output devices; None when nothing is to be played."""
    if not play:
        return None
    routes = {d.key: profile.output_of(d) for d in profile.directions}
    routes = {k: v for k, v in routes.items() if v.lower() != "none"}
    if not routes:
        return None
    from translator.audio import AudioDeviceError, Player

    pb = profile.playback
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
        dispatch.add(only_audio(None, player.push))
    return player


async def drain_and_close(player: Player) -> None:
    try:
        await player.drain()
    finally:
        player.close()


def only_audio(
    key: str | None, push: Callable[[TranslationAudio], None]
) -> Callable[[TranslatorEvent], None]:
    """A handler that passes on the translated audio of direction ``key`` (None: of every direction)."""

    def handle(event: TranslatorEvent) -> None:
        if isinstance(event, TranslationAudio) and (key is None or event.direction == key):
            push(event)

    return handle


def tap_all(taps: Sequence[Tap]) -> Tap:
    """One input tap (the original audio) feeding the player's monitor and the audience server."""
    if len(taps) == 1:
        return taps[0]

    def tap(chunk: AudioChunk, sample_rate_hz: int) -> None:
        for t in taps:
            t(chunk, sample_rate_hz)

    return tap
