"""Which direction translates an utterance heard on a shared input.

In a paired profile (en→es and es→en on one microphone) every session hears every
utterance; exactly one must translate it, the one whose source language was spoken.
Each session reports its transcript; the arbiter decides from the transcripts,
using the local language identifier restricted to the input's source languages,
as soon as one transcript is conclusive, or when every language has reported (or a
short timeout has passed) with the best evidence there is.

Which reports are the same utterance:

* client turns: every session has the same utterances, with the same ids;
* service turns: each session's turn detection cuts its own turns, with its own ids.
  Reports whose spans on the input timeline overlap (by at least half of the shorter)
  form one group, and one decision holds for all of them, so turns cut a little
  differently by two sessions are still translated once. A report that overlaps an
  already decided group takes that decision.

With a single source language (one way, one to many) there is nothing to decide:
every direction translates every non-empty utterance.

A failed transcription is no reason to lose a sentence: the service still has the
audio and translates from it. The direction then comes from any other session's
transcript of the same audio; with none at all, the stated rule is the language
spoken last, else the input's first source language in profile order.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from translator.listen.lid import Guess, identify, prepare

log = structlog.get_logger(__name__)

Decide = Callable[[str, bool, str], None]
"""``decide(utterance, translate, source_text)`` on a session."""

Span = tuple[int, int]
"""Start and end of an utterance on the input timeline (ms)."""

_CONCLUSIVE = 0.7
_KEEP_DECIDED = 64


@dataclass(frozen=True, slots=True)
class _Report:
    session: str
    utterance: str
    transcript: str
    span: Span | None
    failed: bool = False
    """The session could not transcribe it (it can still translate from the audio)."""

    @property
    def heard(self) -> bool:
        return self.failed or bool(self.transcript.strip())


@dataclass
class _Group:
    reports: list[_Report] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None
    decided: bool = False
    language: str | None = None

    def same_utterance(self, report: _Report, source_of: dict[str, str]) -> bool:
        if report.span is None:
            return any(r.span is None and r.utterance == report.utterance for r in self.reports)
        return any(
            r.span is not None
            and source_of[r.session] != source_of[report.session]
            and _overlap(r.span, report.span)
            for r in self.reports
        )


def _overlap(a: Span, b: Span) -> bool:
    shared = min(a[1], b[1]) - max(a[0], b[0])
    shorter = min(a[1] - a[0], b[1] - b[0])
    return shared > 0 and shared * 2 >= max(shorter, 1)


class Arbiter:
    def __init__(self, timeout_s: float = 2.5) -> None:
        self._decides: dict[str, Decide] = {}
        self._source_of: dict[str, str] = {}
        self._pending: list[_Group] = []
        self._decided: deque[_Group] = deque(maxlen=_KEEP_DECIDED)
        self._timeout_s = timeout_s
        self._last_language: str | None = None

    def register(self, session: str, source_language: str, decide: Decide) -> None:
        self._decides[session] = decide
        self._source_of[session] = source_language
        prepare(self.languages)  # at start-up, so the first decision waits for nothing

    @property
    def languages(self) -> list[str]:
        return list(dict.fromkeys(self._source_of.values()))

    def report(
        self,
        session: str,
        utterance: str,
        transcript: str,
        locale: str | None = None,
        span: Span | None = None,
        *,
        failed: bool = False,
    ) -> None:
        """A session's transcript of ``utterance``; ``locale`` is the service's detected
        language; ``span`` is given when sessions cut their turns each on their own;
        ``failed``: the session could not transcribe it."""
        report = _Report(session, utterance, transcript, span, failed)
        if len(self.languages) == 1:
            self._decides[session](utterance, report.heard, transcript)
            return
        decided = next((g for g in self._decided if g.same_utterance(report, self._source_of)), None)
        if decided is not None:
            decided.reports.append(report)
            self._deliver(decided, [report])
            return
        matching = [g for g in self._pending if g.same_utterance(report, self._source_of)]
        if matching:
            group = matching[0]
            for other in matching[1:]:  # one turn here spans several turns there: one utterance
                if other.timer is not None:
                    other.timer.cancel()
                group.reports += other.reports
                self._pending.remove(other)
        else:
            group = _Group()
            self._pending.append(group)
        group.reports.append(report)
        detected = self._candidate(locale) if transcript.strip() else None
        if detected is not None:
            self._settle(group, detected, "transcription_locale")
            return
        guess = identify(transcript, self.languages) if transcript.strip() else Guess(None, 0.0)
        if guess.language is not None and guess.confidence >= _CONCLUSIVE:
            self._settle(group, guess.language, "conclusive")
        elif {self._source_of[r.session] for r in group.reports} >= set(self.languages):
            self._settle(group, self._best(group), "all_reported")
        elif group.timer is None:
            loop = asyncio.get_running_loop()
            group.timer = loop.call_later(self._timeout_s, self._on_timeout, group)

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

    def _on_timeout(self, group: _Group) -> None:
        if not group.decided:
            self._settle(group, self._best(group), "timeout")

    def _best(self, group: _Group) -> str | None:
        texts = [r.transcript for r in group.reports if r.transcript.strip()]
        if not texts:
            if not any(r.failed for r in group.reports):
                return None  # nothing was said
            # Speech nobody could transcribe: the stated rule.
            return self._last_language or self.languages[0]
        guesses = [identify(t, self.languages) for t in texts]
        best = max(guesses, key=lambda g: g.confidence)
        if best.language is not None:
            return best.language
        # No evidence either way ("OK", a name, the tail of a cut sentence): the speaker
        # most likely goes on in the language of the previous utterance.
        if self._last_language is not None:
            return self._last_language
        longest = max(group.reports, key=lambda r: len(r.transcript))
        return self._source_of[longest.session]

    def _settle(self, group: _Group, language: str | None, why: str) -> None:
        if group.timer is not None:
            group.timer.cancel()
        group.decided, group.language = True, language
        self._pending.remove(group)
        self._decided.append(group)
        if language is not None:
            self._last_language = language
        first = group.reports[0]
        log.debug("utterance_language", utterance=first.utterance, language=language, why=why)
        if first.span is None:
            # Client turns: every session has this utterance under the same id; the ones that
            # have not reported yet learn now, and need not send it for nothing.
            said = [r for r in group.reports if r.transcript.strip()]
            text = next(
                (r.transcript for r in said if self._source_of[r.session] == language),
                said[0].transcript if said else "",
            )
            reported = {r.session for r in group.reports}
            others = [_Report(s, first.utterance, text, None) for s in self._decides if s not in reported]
            self._deliver(group, group.reports + others)
        else:
            self._deliver(group, group.reports)

    def _deliver(self, group: _Group, reports: list[_Report]) -> None:
        said = next((r.transcript for r in group.reports if r.transcript.strip()), "")
        for r in reports:
            translate = self._source_of[r.session] == group.language and (r.heard or bool(said))
            self._decides[r.session](r.utterance, translate, r.transcript or said)
