"""Command line: argument parsing, logging set-up, signals and exit codes. No business logic.

Exit status: 0 done, 2 bad usage/profile/input, 3 rejected by the service, 1 anything
else; each with a one-line reason on stderr and never a traceback
(``TRANSLATOR_DEBUG=1`` shows one).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any, NoReturn

from translator import __version__
from translator.cliargs import seconds
from translator.errors import TranslatorError, UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"translator: error: {message} (see '{self.prog} --help')\n")


def build_parser(with_emulator: bool = True) -> argparse.ArgumentParser:
    parser = _Parser(prog="translator", description="Real-time speech translation on Azure AI Voice Live.")
    parser.add_argument("--version", action="version", version=f"translator {__version__}")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    parser.add_argument(
        "--log-format",
        default="auto",
        choices=["auto", "console", "json"],
        help="logs on stderr: console on a terminal, JSON otherwise (auto)",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="translate with a language-pair profile")
    run.add_argument("profile", type=Path, help="a profile, e.g. configs/en-es.yaml")
    run.add_argument(
        "--input",
        help="an audio or video file, a stream URL (http(s), rtmp, srt, .m3u8), mic[:NAME_OR_INDEX] "
        "or loopback[:OUTPUT] (what an output device plays)",
    )
    run.add_argument(
        "--audio-stream",
        type=_stream_index,
        metavar="N",
        help="which audio stream of a file or URL to translate (0 = the first, the default)",
    )
    run.add_argument(
        "--subtitles",
        action="append",
        default=[],
        metavar="PATH",
        help="subtitle file (.srt, .vtt, .jsonl; '-' for stdout); repeatable; may contain {target}",
    )
    run.add_argument("--audio-out", metavar="PATH", help="translated speech as WAV; may contain {target}")
    run.add_argument("--no-play", action="store_true", help="do not play the translation on a device")
    run.add_argument("--fast", action="store_true", help="stream a file as fast as the service accepts it")
    run.add_argument(
        "--emulator",
        action="store_true",
        help="run against the built-in emulator (the bundled sample unless --input is given)",
    )
    run.add_argument("--scenario", type=Path, help="with --emulator: the emulator's scenario file")
    run.add_argument(
        "--endpoint", help="Voice Live endpoint (default: profile, then $AZURE_COGNITIVE_SERVICES_ENDPOINT)"
    )
    run.add_argument(
        "--bilingual",
        choices=["off", "source-first", "translation-first"],
        help="put the source line and its translation in one cue",
    )
    run.add_argument("--quiet", action="store_true", help="no live lines on stdout")
    run.add_argument("--stats", type=Path, metavar="PATH", help="write the run's figures as JSON")
    run.add_argument(
        "--stall-timeout",
        type=seconds(0.5, 3600),
        default=20.0,
        metavar="S",
        help="reconnect when the service is silent this long while a reply is due",
    )
    run.add_argument(
        "--heartbeat", type=seconds(0.5, 3600), default=10.0, metavar="S", help="WebSocket ping interval"
    )
    run.add_argument("--serve", metavar="[HOST:]PORT", help="serve listeners: page, overlay, captions")
    run.add_argument("--serve-code", metavar="CODE", help="access code required in every served URL")
    run.add_argument("--serve-max-listeners", type=int, metavar="N", help="most listeners at once (500)")
    run.add_argument("--serve-tls", metavar="auto|CERT:KEY", help="HTTPS (phones need it for audio)")
    run.add_argument("--broadcast", metavar="URL", help="icecast://user:pass@host:port/mount-{target}")

    check = sub.add_parser("check", help="validate a profile and print it resolved, secrets redacted")
    check.add_argument("profile", type=Path)
    sub.add_parser("schema", help="print the profile JSON Schema")
    sub.add_parser("devices", help="list audio input and output devices")
    emu = sub.add_parser("emulator", help="run the local Voice Live emulator")
    if with_emulator:
        # The emulator's options come from its own package, which is heavy to import:
        # only when that command runs (start-up time of `translator run` matters).
        from translator.emulator.cli import add_arguments

        add_arguments(emu)
    return parser


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    parser = build_parser(with_emulator="emulator" in words)
    args = parser.parse_args(argv)
    from translator import logs

    logs.configure(level=args.log_level, fmt=args.log_format)
    logs.register_secret(os.environ.get("AZURE_COGNITIVE_SERVICES_KEY"))
    try:
        return _dispatch(args)
    except TranslatorError as e:
        _fail(str(e))
        return e.exit_status
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130
    except Exception as e:  # the last line of defence: one line, no traceback
        if os.environ.get("TRANSLATOR_DEBUG"):
            raise
        _fail(f"internal error: {e.__class__.__name__}: {e}")
        return 1


def _fail(message: str) -> None:
    from translator.logs import redact

    first = redact(message).strip().splitlines()[0] if message.strip() else "failed"
    print(f"translator: error: {first}", file=sys.stderr)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "schema":
        from translator.profile.model import json_schema

        print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
        return 0
    if args.command == "check":
        return _check(args.profile)
    if args.command == "devices":
        from translator.audio import format_device_table, list_devices

        print(format_device_table(list_devices()))
        return 0
    if args.command == "emulator":
        from translator.emulator.cli import run as run_emulator

        return int(_run_async(run_emulator(args), None))
    return _run(args)


def _check(path: Path) -> int:
    import yaml

    from translator.errors import ProfileError
    from translator.logs import redact
    from translator.preflight import check
    from translator.profile.model import load_profile
    from translator.voicelive.connect import ENDPOINT_ENV, KEY_ENV, check_endpoint
    from translator.voicelive.wire.configure import session_config

    profile = load_profile(path)
    findings = check(profile, path.parent)
    resolved: dict[str, Any] = profile.model_dump(mode="json")
    endpoint = profile.service.endpoint or os.environ.get(ENDPOINT_ENV)
    if endpoint:
        check_endpoint(endpoint)
    resolved["service"]["endpoint"] = endpoint or f"(unset: ${ENDPOINT_ENV} or --endpoint or --emulator)"
    resolved["service"]["authentication"] = (
        f"api key from ${KEY_ENV} (***)" if os.environ.get(KEY_ENV) else "Entra ID (DefaultAzureCredential)"
    )
    resolved["sessions"] = {d.key: session_config(profile, d) for d in profile.directions}
    for warning in findings.warnings:  # what a run would say and go on with
        print(f"translator: warning: {warning}", file=sys.stderr)
    if findings.errors:  # what would stop a run: all of them, on one line
        raise ProfileError(f"{path}: " + "; ".join(findings.errors))
    print(f"# {path}: valid")
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml: a 6,000-direction profile in seconds
    print(redact(yaml.dump(resolved, Dumper=dumper, allow_unicode=True, sort_keys=False, width=100)), end="")
    return 0


def _run(args: argparse.Namespace) -> int:
    from translator.app import Run, RunOptions
    from translator.profile.model import load_profile
    from translator.serve.options import resolve as resolve_serve
    from translator.summary import format_summary
    from translator.voicelive.session import SessionTimings

    profile = load_profile(args.profile)
    if args.scenario is not None and not args.emulator:
        raise UsageError("--scenario goes with --emulator")
    options = RunOptions(
        input=args.input,
        subtitles=tuple(args.subtitles),
        audio_out=args.audio_out,
        play=not args.no_play,
        fast=args.fast,
        endpoint=args.endpoint,
        emulator=args.emulator,
        scenario=args.scenario,
        quiet=args.quiet,
        bilingual=args.bilingual,
        stats_path=args.stats,
        serve=resolve_serve(
            profile.serve, args.serve, args.serve_code, args.serve_max_listeners, args.broadcast,
            args.serve_tls,
        ),  # fmt: skip
        audio_stream=args.audio_stream,
        profile_dir=args.profile.parent,
        timings=SessionTimings(stall_s=args.stall_timeout, heartbeat_s=args.heartbeat),
    )
    run = Run(profile, options)
    summary = _run_async(run.execute(), run.request_stop)
    _print_summary(format_summary(summary), summary)
    run.write_stats(summary)  # after the summary: a failed write cannot hide it
    return 0


def _stream_index(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a stream number 0, 1, 2..., got {text!r}")
    return int(text)


def _print_summary(lines: list[str], summary: dict[str, Any]) -> None:
    """On stderr, whatever the log level: plain lines, or one JSON event with --log-format json."""
    from translator.logs import json_mode

    if json_mode():
        from datetime import datetime, timezone

        record = {
            "event": "summary",
            "level": "info",
            "lines": lines,
            "input_audio_s": summary["input_audio_s"],
            "timestamp": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
        }
        print(json.dumps(record, ensure_ascii=False), file=sys.stderr)
        return
    for line in lines:
        print(f"translator: {line}", file=sys.stderr)


def _run_async(coro: Any, on_first_interrupt: Any) -> Any:
    """Run ``coro``; the first Ctrl-C/SIGTERM asks it to stop cleanly, a second cancels it."""

    async def main() -> Any:
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(coro)
        interrupts = 0

        def interrupted() -> None:
            nonlocal interrupts
            interrupts += 1
            if interrupts == 1 and on_first_interrupt is not None:
                on_first_interrupt()
            else:
                task.cancel()

        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, interrupted)
            except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
                pass
        try:
            return await task
        except asyncio.CancelledError:
            if interrupts and on_first_interrupt is None:
                return 0  # a server (the emulator) stops on Ctrl-C: that is its normal end
            if interrupts:
                raise KeyboardInterrupt from None
            raise

    return asyncio.run(main())
