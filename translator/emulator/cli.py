"""``translator emulator``: serve the emulator until cancelled (Ctrl-C).

The lead's ``translator/cli.py`` calls :func:`add_arguments` on its sub-parser and
awaits :func:`run`; logging is configured there.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
from pathlib import Path

import structlog

from translator.cliargs import integer, number, seconds, tcp_port
from translator.emulator.faults import FaultPlan
from translator.emulator.options import EmulatorOptions
from translator.emulator.scenario import load_scenario
from translator.emulator.server import Emulator
from translator.errors import UsageError

log = structlog.get_logger(__name__)


def _server_error_status(text: str) -> int:
    if not text.isdigit() or not 500 <= int(text) <= 599:
        raise argparse.ArgumentTypeError(f"{text!r} is not an HTTP status from 500 to 599")
    return int(text)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=tcp_port, default=8765, help="port to listen on (default 8765; 0 = any free)"
    )
    parser.add_argument(
        "--scenario", type=Path, help="scenario file (YAML/JSON); default: unscripted echo model"
    )
    parser.add_argument(
        "--key",
        action="append",
        dest="keys",
        metavar="KEY",
        help="accept only this API key or bearer token (repeatable; default: any non-empty)",
    )
    parser.add_argument(
        "--model-delay-ms",
        type=integer(0, 600_000),
        default=300,
        help="delay before the first response delta",
    )
    parser.add_argument(
        "--pacing", type=number(0, 1000), default=4.0, help="audio sent at N x real time (0 = unpaced)"
    )
    parser.add_argument("--ordering", choices=["auto", "cascaded", "realtime"], default="auto")
    parser.add_argument(
        "--session-max-s", type=seconds(0, 86_400), default=1800.0, help="session expiry cap in seconds"
    )
    parser.add_argument(
        "--record-dir", type=Path, help="write one JSONL file of client events per connection"
    )
    for status in ("403", "404", "429", "5xx"):
        parser.add_argument(
            f"--http-{status}-first-n",
            type=integer(0, 1_000_000),
            default=0,
            metavar="N",
            help=f"refuse the first N handshakes with {status}",
        )
    parser.add_argument(
        "--http-5xx-status",
        type=_server_error_status,
        default=503,
        metavar="STATUS",
        help="the status --http-5xx-first-n answers (500-599, default 503)",
    )
    parser.add_argument(
        "--max-sessions-per-key",
        type=integer(1, 1_000_000),
        metavar="N",
        help="answer 429 beyond N open sessions per key",
    )
    parser.add_argument("--unknown-events", action="store_true", help="interleave unknown server event types")
    parser.add_argument(
        "--max-connections", type=int, default=256, metavar="N", help="open connections at most (default 256)"
    )


def options_from_args(args: argparse.Namespace) -> EmulatorOptions:
    """Raises ScenarioError (one line) for a bad scenario file."""
    faults = FaultPlan(
        http_403_first_n=args.http_403_first_n,
        http_404_first_n=args.http_404_first_n,
        http_429_first_n=args.http_429_first_n,
        http_5xx_first_n=args.http_5xx_first_n,
        http_5xx_status=args.http_5xx_status,
        max_sessions_per_key=args.max_sessions_per_key,
        unknown_events=args.unknown_events,
    )
    return EmulatorOptions(
        accepted_keys=frozenset(args.keys) if args.keys else None,
        scenario=load_scenario(args.scenario) if args.scenario else None,
        model_delay_ms=args.model_delay_ms,
        pacing=args.pacing,
        ordering=args.ordering,
        session_max_s=args.session_max_s,
        record_dir=args.record_dir,
        faults=faults,
        max_connections=args.max_connections,
    )


async def run(args: argparse.Namespace) -> int:
    """Serve until cancelled; returns the exit status."""
    if not args.keys and not _is_loopback(args.host):
        raise UsageError(
            f"--host {args.host} is reachable from other machines: give --key KEY "
            "(without one, the emulator accepts any key)"
        )
    options = options_from_args(args)
    emulator = Emulator(options)
    try:
        await emulator.start(args.host, args.port)
    except OSError as e:
        log.error("emulator_listen_failed", host=args.host, port=args.port, error=e.strerror or str(e))
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}") from None
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()
    return 0
