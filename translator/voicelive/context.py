"""The context each response carries when the service detects the turns.

Turns keep being committed while a response runs, so by the time the next response
starts, the conversation can end with several untranslated user messages, and a model
answers the newest. Every ``response.create`` therefore gives ``input_items``: the last
exchanges as text, then the utterance to translate (its transcript, or its audio when the
transcription failed). The conversation itself is not needed.
"""

from __future__ import annotations

from collections import deque

from translator.voicelive.wire import outbound as wire

_KEPT = 2
"""Exchanges given to each response: enough for pronouns and names to carry over."""


class Exchanges:
    """The last few (said, translated) pairs, oldest first."""

    def __init__(self, kept: int = _KEPT) -> None:
        self._pairs: deque[tuple[str, str]] = deque(maxlen=kept)

    def record(self, said: str | None, done: str | None) -> None:
        """A finished utterance; one without a transcript or a translation is no context."""
        said = (said or "").strip()
        if said and done:
            self._pairs.append((said, done))

    def items(self, latest: wire.ClientEvent) -> list[wire.ClientEvent]:
        """The input items of a response that translates ``latest`` (a user message)."""
        items: list[wire.ClientEvent] = []
        for said, done in self._pairs:
            items += [wire.user_text(said), wire.assistant_text(done)]
        items.append(latest)
        return items
