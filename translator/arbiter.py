"""Which direction translates an utterance heard on a shared input.

In a paired profile (en→es and es→en on one microphone) every session hears every
utterance; exactly one must translate it, the one whose source language was spoken.
Each session reports its transcript; the arbiter decides from the transcripts,
using the local language identifier restricted to the input's source languages,
as soon as one transcript is conclusive, or when all have reported (or a short
timeout has passed) with the best evidence there is.

With a single source language (one way, one to many) there is nothing to decide:
every direction translates every non-empty utterance.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from translator.lid import Guess, identify

log = structlog.get_logger(__name__)

Decide = Callable[[str, bool, str], None]
"""``decide(utterance, translate, source_text)`` on a session."""

_CONCLUSIVE = 0.7


@dataclass
class _Pending:
    reports: dict[str, str] = field(default_factory=dict)  # source language -> transcript
    timer: asyncio.TimerHandle | None = None


class Arbiter:
    def __init__(self, timeout_s: float = 2.5) -> None:
        self._sessions: dict[str, list[Decide]] = {}
        self._pending: dict[str, _Pending] = {}
        self._decided: dict[str, str | None] = {}
        self._timeout_s = timeout_s
        self._last_language: str | None = None

    def register(self, source_language: str, decide: Decide) -> None:
        self._sessions.setdefault(source_language, []).append(decide)

    @property
    def languages(self) -> list[str]:
        return list(self._sessions)

    def report(
        self, utterance: str, source_language: str, transcript: str, locale: str | None = None
    ) -> None:
        """A session's transcript of ``utterance``; ``locale`` is the service's detected language."""
        if utterance in self._decided:
            self._deliver(utterance, self._decided[utterance], transcript, only=source_language)
            return
        if len(self._sessions) == 1:
            for decide in self._sessions[source_language]:
                decide(utterance, bool(transcript.strip()), transcript)
            return
        pending = self._pending.setdefault(utterance, _Pending())
        pending.reports[source_language] = transcript
        detected = self._candidate(locale) if transcript.strip() else None
        if detected is not None:
            self._settle(utterance, detected, "transcription_locale")
            return
        guess = identify(transcript, self.languages) if transcript.strip() else Guess(None, 0.0)
        if guess.language is not None and guess.confidence >= _CONCLUSIVE:
            self._settle(utterance, guess.language, "conclusive")
        elif len(pending.reports) == len(self._sessions):
            self._settle(utterance, self._best(pending), "all_reported")
        elif pending.timer is None:
            loop = asyncio.get_running_loop()
            pending.timer = loop.call_later(self._timeout_s, self._on_timeout, utterance)

    def _candidate(self, locale: str | None) -> str | None:
        """The pair language the service's detected locale names (en-US, or just en)."""
        if not locale:
            return None
        for tag in self.languages:
            if tag.lower() == locale.lower():
                return tag
        primary = locale.split("-")[0].lower()
        matches = [t for t in self.languages if t.split("-")[0].lower() == primary]
        return matches[0] if len(matches) == 1 else None

    def _on_timeout(self, utterance: str) -> None:
        pending = self._pending.get(utterance)
        if pending is not None and utterance not in self._decided:
            self._settle(utterance, self._best(pending), "timeout")

    def _best(self, pending: _Pending) -> str | None:
        texts = [t for t in pending.reports.values() if t.strip()]
        if not texts:
            return None
        guesses = [identify(t, self.languages) for t in texts]
        best = max(guesses, key=lambda g: g.confidence)
        if best.language is not None:
            return best.language
        # No evidence either way ("OK", a name, the tail of a cut sentence): the speaker
        # most likely goes on in the language of the previous utterance.
        if self._last_language is not None:
            return self._last_language
        return max(pending.reports.items(), key=lambda kv: len(kv[1]))[0]

    def _settle(self, utterance: str, language: str | None, why: str) -> None:
        pending = self._pending.pop(utterance, _Pending())
        if pending.timer is not None:
            pending.timer.cancel()
        self._decided[utterance] = language
        if language is not None:
            self._last_language = language
        log.debug("utterance_language", utterance=utterance, language=language, why=why)
        text = pending.reports.get(language or "", "") or next(iter(pending.reports.values()), "")
        self._deliver(utterance, language, text)
        if len(self._decided) > 256:  # keep memory flat over hours
            for key in list(self._decided)[:128]:
                del self._decided[key]

    def _deliver(self, utterance: str, language: str | None, text: str, only: str | None = None) -> None:
        for source, decides in self._sessions.items():
            if only is not None and source != only:
                continue
            for decide in decides:
                decide(utterance, source == language and bool(text.strip()), text)
