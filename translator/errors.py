"""The project's error tree. Every error carries a one-line message fit for a person.

::

    TranslatorError                 base; ``exit_status`` says how the CLI ends
    ├── UsageError                  bad command line                          (exit 2)
    ├── ProfileError                bad profile: file, line, field path, what is allowed (exit 2)
    ├── InputError                  unreadable audio file, unknown device     (exit 2)
    ├── OutputError                 an output file could not be written     (exit 1)
    ├── ServiceUnreachable          the first connection found no service there (exit 3)
    ├── Interrupted                 Ctrl-C before anything was translated     (exit 130)
    ├── ServiceRejected             authentication or configuration refused (exit 3);
    │                               not retried
    └── SessionError                a connection failed in a way worth retrying (exit 1
        │                           only when retries run out)
        └── Throttled               HTTP 429 or ``rate_limit_exceeded``: back off longer
"""

from __future__ import annotations


class TranslatorError(Exception):
    exit_status = 1


class UsageError(TranslatorError):
    exit_status = 2


class ProfileError(TranslatorError):
    exit_status = 2


class InputError(TranslatorError):
    exit_status = 2


class ServiceRejected(TranslatorError):
    exit_status = 3


class SessionError(TranslatorError):
    exit_status = 1


class Throttled(SessionError):
    pass


class OutputError(TranslatorError):
    """An output file could not be written (disk full, removed folder...): exit 1, one line."""

    exit_status = 1


class ServiceUnreachable(TranslatorError):
    """The first connection was refused or its host unknown: no retries (later drops retry)."""

    exit_status = 3


class Interrupted(TranslatorError):
    exit_status = 130
