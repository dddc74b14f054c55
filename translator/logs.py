"""Logging set-up (structlog), configured once by the CLI, and secret redaction.

Logs go to stderr, one event per line: human-readable on a terminal, JSON with
``--log-format json``. Every string that passes through a log record, ours or the
SDK's (stdlib ``logging``), is scrubbed of registered secrets and of anything that
looks like a bearer token or an ``api-key`` value.
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus

import structlog

_T = TypeVar("_T")

_SECRETS: set[str] = set()
_FORMS: list[str] = []  # every registered secret in every spelling worth hiding, longest first
_PREFIX_CHARS = 8  # a secret's own first characters from this many on are hidden too
_HEADS: dict[str, list[str]] = {}  # first _PREFIX_CHARS characters -> the forms that start so
# Each pattern with a literal that any match contains (checked first: see ``redact``).
_PATTERNS = [
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-_.~+/]+=*"), "bearer"),
    (re.compile(r"(?i)(api[-_]?key[\"']?\s*(?:=\s*[\"']?|:\s*[\"']))[^\s\"'&,}]+"), "key"),
    # After an unquoted colon, only a value that could be a key (8+ characters), so that
    # "service.api_key: keys never live in a profile" stays readable.
    (re.compile(r"(?i)(api[-_]?key[\"']?\s*:\s*)[^\s\"'&,}]{8,}"), "key"),
    (re.compile(r"(?i)([?&](?:api-key|authorization|token)=)[^&\s]+"), "="),
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)[^/\s@?#]+(?=@)"), "://"),  # credentials in a URL: user:pass@
]


def register_secret(value: str | None) -> None:
    """Never print this value again, anywhere (a key, a token), in any of its spellings."""
    if not value or len(value) < 4 or value in _SECRETS:
        return
    _SECRETS.add(value)
    _FORMS[:] = sorted({f for s in _SECRETS for f in secret_forms(s)}, key=len, reverse=True)
    _HEADS.clear()
    for form in _FORMS:
        if len(form) >= _PREFIX_CHARS:
            _HEADS.setdefault(form[:_PREFIX_CHARS], []).append(form)


def secret_forms(secret: str) -> set[str]:
    """The secret as it may be echoed: plain, base64 (standard and URL-safe, with or
    without padding) and URL-encoded."""
    raw = secret.encode("utf-8")
    forms = {secret, quote(secret, safe=""), quote_plus(secret, safe="")}
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = encoded.decode("ascii")
        forms |= {text, text.rstrip("=")}
    return {f for f in forms if len(f) >= 4}


def redact(text: str) -> str:
    """The one scrubber every exit uses: stdout, stderr, subtitles, stats, logs, errors.

    Hides each registered secret in each of its forms, and any run of at least
    ``_PREFIX_CHARS`` of a form's first characters (a key cut short by truncation or
    by the service); then bearer tokens, ``api-key`` values and ``user:pass@`` in URLs.
    Truncate only what this returns, never before.
    """
    for form in _FORMS:  # whole forms first, longest first
        if form in text:
            text = text.replace(form, "***")
    for head, forms in _HEADS.items():  # then what is left of one: its first characters
        start = text.find(head)
        while start != -1:
            end = start + max(_common_prefix(text, start, f) for f in forms)
            # A cut-off key ends there; a prefix running on into other letters is some other
            # word ("emulator-local-key" must not hide "emulator_connection_closed").
            if end < len(text) and (text[end].isalnum() or text[end] == "_"):
                start = text.find(head, start + 1)
                continue
            text = text[:start] + "***" + text[end:]
            start = text.find(head, start + 3)
    # Each pattern runs only where its literal part occurs: a text growing delta by delta
    # (a partial translation of megabytes) is redacted on every delta, and five regex
    # scans of it each time made a 3.5 MB transcript cost 50 s of CPU. The checks are
    # exact: ``lower()`` maps every character that ``(?i)`` matches to k, e, y, b, a or r
    # onto that letter (the Kelvin sign too), so no match is skipped.
    lowered = text.lower()
    for pattern, needed in _PATTERNS:
        if needed in (lowered if needed.isalpha() else text):
            text = pattern.sub(lambda m: m.group(1) + "***", text)
    return text


def _common_prefix(text: str, start: int, form: str) -> int:
    n = 0
    for have, want in zip(text[start : start + len(form)], form, strict=False):
        if have != want:
            break
        n += 1
    return n


def clip(text: str, max_chars: int) -> str:
    """Redact, then shorten: a cut never leaves the start of a secret behind."""
    return redact(text)[:max_chars]


def redact_fields(item: _T) -> _T:
    """A frozen dataclass event with every text field redacted (the same object if clean)."""
    changes: dict[str, str] = {}
    for f in dataclasses.fields(item):  # type: ignore[arg-type]
        value = getattr(item, f.name)
        if isinstance(value, str) and value:
            clean = redact(value)
            if clean != value:
                changes[f.name] = clean
    return dataclasses.replace(item, **changes) if changes else item  # type: ignore[type-var]


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
