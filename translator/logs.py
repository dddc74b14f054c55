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


def _one_line(sio: Any, exc_info: Any) -> None:
    exc = exc_info[1] if isinstance(exc_info, tuple) else exc_info
    sio.write("\n" + redact(f"{exc.__class__.__name__}: {exc}"))
