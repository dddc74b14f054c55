"""Which service errors during the handshake end the run, and which are worth a retry (pure).

Before ``session.updated`` an ``error`` event answers our configuration or the
connection itself. Only a genuinely invalid configuration (a request error: an
unknown voice, a bad field, a model that does not exist) is fatal, because sending
the same configuration again cannot fix it. Throttling (``rate_limit_exceeded``,
``rate_limit_error``) backs off longer, and everything else (``server_error``,
``internal_error``, a timeout, an unknown code from a newer service) is transient:
back off and retry, bounded by the session's failure limit.
"""

from __future__ import annotations

from typing import Literal

Verdict = Literal["fatal", "throttled", "transient"]

_THROTTLING_CODES = frozenset({"rate_limit_exceeded", "too_many_requests", "429", "quota_exceeded"})
_TRANSIENT_CODES = frozenset(
    {
        "server_error",
        "internal_error",
        "internal_server_error",
        "service_unavailable",
        "timeout",
        "gateway_timeout",
        "session_expired",
        "overloaded",
        "500",
        "502",
        "503",
        "504",
    }
)
_FATAL_KINDS = frozenset({"invalid_request_error", "authentication_error", "permission_error"})


def classify(code: str | None, kind: str | None) -> Verdict:
    """The verdict on one handshake-time ``error`` (its ``code`` and ``type``)."""
    code = (code or "").lower()
    kind = (kind or "").lower()
    if code in _THROTTLING_CODES or kind == "rate_limit_error":
        return "throttled"
    if code in _TRANSIENT_CODES or kind == "server_error":
        return "transient"
    if kind in _FATAL_KINDS or code.startswith(("invalid", "unknown_parameter", "missing_")):
        return "fatal"
    if code.endswith("_not_found") or code in ("unsupported_value", "unsupported_voice"):
        return "fatal"
    return "transient"
