"""Logging set-up (structlog), configured once by the CLI, and secret redaction.

Logs go to stderr, one event per line: human-readable on a terminal, JSON with
``--log-format json``. Every string that passes through a log record, ours or the
SDK's (stdlib ``logging``), is scrubbed of registered secrets and of anything that
looks like a bearer token or an ``api-key`` value.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_SECRETS: set[str] = set()
_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-_.~+/]+=*"),
    re.compile(r"(?i)(api[-_]?key[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+"),
    re.compile(r"(?i)([?&](?:api-key|authorization|token)=)[^&\s]+"),
]


def register_secret(value: str | None) -> None:
    """Never print this value again, anywhere (a key, a token)."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def redact(text: str) -> str:
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, "***")
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + "***", text)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, BaseException):
        return redact(f"{value.__class__.__name__}: {value}")
    if isinstance(value, (list, tuple)):
        return type(value)(_redact_value(v) for v in value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    return value


def _redact_processor(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        event_dict[key] = _redact_value(value)
    return event_dict


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        record.exc_info = None  # no tracebacks from libraries in our output
        record.exc_text = None
        return True


def configure(*, level: str = "info", fmt: str = "auto") -> None:
    json_output = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json_output
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty(), exception_formatter=_one_line)
    )
    numeric = getattr(logging, level.upper(), logging.INFO)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso" if json_output else "%H:%M:%S", utc=json_output),
            _redact_processor,
            _strip_audio_processor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING if numeric > logging.DEBUG else logging.DEBUG)
    # The SDK logs parse failures and close reasons at error level; we report those ourselves.
    logging.getLogger("azure").setLevel(logging.CRITICAL if numeric > logging.DEBUG else logging.DEBUG)
    logging.getLogger("aiohttp").setLevel(logging.ERROR)
    route_stdlib(handler, renderer, json_output=json_output)


def _one_line(sio: Any, exc_info: Any) -> None:
    exc = exc_info[1] if isinstance(exc_info, tuple) else exc_info
    sio.write("\n" + redact(f"{exc.__class__.__name__}: {exc}"))


# -- stdlib logs (azure.*, aiohttp, asyncio) through structlog's formatter ------------------
# Every line on stderr is then one event in the chosen format (JSON lines parse one by
# one at every level), and audio payloads never reach a log at any level.

_AUDIO_PAYLOAD = re.compile(r"""(["']?(?:audio|delta)["']?\s*:\s*["'])([A-Za-z0-9+/]{40,}={0,2})(["'])""")


def strip_audio(text: str) -> str:
    """Base64 audio in a logged event (``"audio": "..."``, ``"delta": "..."``) → its size only."""
    return _AUDIO_PAYLOAD.sub(lambda m: f"{m.group(1)}<{len(m.group(2))} base64 chars>{m.group(3)}", text)


def _strip_audio_processor(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        if isinstance(value, str):
            event_dict[key] = strip_audio(value)
    return event_dict


_json_mode = [False]


def json_mode() -> bool:
    """Whether stderr carries JSON lines (so the CLI's own lines must be JSON too)."""
    return _json_mode[0]


def route_stdlib(handler: logging.Handler, renderer: Any, *, json_output: bool) -> None:
    _json_mode[0] = json_output
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                structlog.processors.TimeStamper(fmt="iso" if json_output else "%H:%M:%S", utc=json_output),
                _strip_audio_processor,
                _redact_processor,
            ],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
