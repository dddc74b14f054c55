"""Per-session bookkeeping of utterances: what was sent, committed, transcribed, translated.

Pure state, no I/O: the turn taking (``turns.py``) asks the table what to send next
and tells it what the service answered. Because the table keeps each unfinished
utterance's audio, a new connection can send exactly the audio that was not yet
translated: nothing lost, nothing twice.

Ordering rules that keep one response per utterance, in order:

* audio of utterance k+1 is appended only after utterance k was committed (the
  input buffer then holds only k+1);
* k+1 is committed only once k is *settled*: its response was created (the
  assistant item then sits between the two user items) or its item was deleted;
* at most one response is in flight.

Drop policy: the audio of unfinished utterances is bounded by ``max_backlog_ms``;
past it the oldest unfinished utterance is dropped whole and counted.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from enum import Enum


class Stage(Enum):
    OPEN = "open"  # speech still coming
    CLOSED = "closed"  # all audio known, not yet committed on this connection
    COMMITTED = "committed"  # commit sent (item id once the server answers)
    TRANSCRIBED = "transcribed"  # transcript known (or known to have failed) on this connection
    RESPONDING = "responding"  # response.create sent
    DONE = "done"  # translation final (terminal)
    SKIPPED = "skipped"  # another direction translates it, it was empty, or it was dropped (terminal)


TERMINAL = (Stage.DONE, Stage.SKIPPED)


class Decision(Enum):
    """The arbiter's word on whether this direction translates an utterance."""

    PENDING = "pending"
    TRANSLATE = "translate"
    SKIP = "skip"


@dataclass
class Utterance:
    id: str
    start_ms: int
    start_wall_s: float
    end_ms: int | None = None
    closed_wall_s: float | None = None
    chunks: list[bytes] = field(default_factory=list)
    total_bytes: int = 0
    stage: Stage = Stage.OPEN
    # per connection (``reset_connection``)
    sent_bytes: int = 0
    item_id: str | None = None
    response_id: str | None = None
    assistant_item: str | None = None
    text_parts: list[str] = field(default_factory=list)
    text_done: str | None = None
    # across connections
    transcript: str | None = None
    decision: Decision = Decision.PENDING
    transcription_failed: bool = False
    """The service could not transcribe it: it is translated from its audio."""
    response_attempts: int = 0
    first_audio_wall_s: float | None = None
    heard_from_ms: int | None = None
    """Where the service's turn detection put the start, padding included (server turns)."""

    @property
    def terminal(self) -> bool:
        return self.stage in TERMINAL

    @property
    def settled(self) -> bool:
        """The next utterance may be committed after this one."""
        return self.terminal or self.response_id is not None or self.decision is Decision.SKIP

    @property
    def translation(self) -> str:
        """The translated text so far (the final text once the response is done)."""
        return (self.text_done if self.text_done is not None else "".join(self.text_parts)).strip()

    def reset_response(self) -> None:
        """Its response failed or was lost: ready for a new one."""
        self.stage = Stage.TRANSCRIBED
        self.response_id = self.assistant_item = None
        self.text_parts.clear()
        self.text_done = None

    def reset_connection(self) -> None:
        """A new connection: nothing of it is on the service any more."""
        self.sent_bytes = 0
        self.item_id = self.response_id = self.assistant_item = None
        self.text_parts.clear()
        self.text_done = None
        self.stage = Stage.OPEN if self.end_ms is None else Stage.CLOSED


class UtteranceTable:
    def __init__(self, sample_rate_hz: int, max_backlog_ms: int = 120_000) -> None:
        self.utts: OrderedDict[str, Utterance] = OrderedDict()
        self._bytes_per_ms = sample_rate_hz * 2 // 1000
        self._max_backlog_bytes = max_backlog_ms * self._bytes_per_ms
        self.dropped_ms = 0
        self.dropped_utterances = 0

    def ms_of(self, n_bytes: int) -> int:
        return n_bytes // self._bytes_per_ms

    # -- input side ---------------------------------------------------------------------

    def open(self, utt_id: str, start_ms: int, wall_s: float) -> Utterance:
        u = self.utts[utt_id] = Utterance(utt_id, start_ms, wall_s)
        return u

    def audio(self, utt_id: str, pcm: bytes) -> list[Utterance]:
        """Add audio; returns utterances dropped to keep the backlog bounded."""
        u = self.utts.get(utt_id)
        if u is None or u.terminal:
            return []
        u.chunks.append(pcm)
        u.total_bytes += len(pcm)
        return self._bound()

    def close(self, utt_id: str, end_ms: int, wall_s: float) -> None:
        u = self.utts.get(utt_id)
        if u is not None and u.stage is Stage.OPEN:
            u.end_ms = end_ms
            u.closed_wall_s = wall_s
            u.stage = Stage.CLOSED

    def _bound(self) -> list[Utterance]:
        dropped: list[Utterance] = []
        while self.backlog_bytes() > self._max_backlog_bytes:
            victim = next((u for u in self.utts.values() if not u.terminal), None)
            if victim is None:
                break
            self.drop(victim, self.ms_of(victim.total_bytes))
            dropped.append(victim)
        return dropped

    def drop(self, u: Utterance, audio_ms: int) -> None:
        """``u`` is given up to keep the backlog bounded (counted, never silent)."""
        self.dropped_ms += audio_ms
        self.dropped_utterances += 1
        u.stage = Stage.SKIPPED
        u.chunks.clear()

    def backlog_bytes(self) -> int:
        return sum(u.total_bytes for u in self.utts.values() if not u.terminal)

    def waiting_ms(self) -> int:
        """Audio of finished utterances still waiting for their translation."""
        return self.ms_of(
            sum(u.total_bytes for u in self.utts.values() if not u.terminal and u.end_ms is not None)
        )

    # -- connection side ----------------------------------------------------------------

    def reset_connection(self) -> None:
        """A new connection: nothing of the unfinished utterances is on the server any more."""
        for u in self.live():
            u.reset_connection()

    def rewind_from(self, utt: Utterance) -> None:
        """Send ``utt`` and everything after it again (after a cleared input buffer)."""
        seen = False
        for u in self.utts.values():
            seen = seen or u is utt
            if seen and u.stage in (Stage.OPEN, Stage.CLOSED, Stage.COMMITTED, Stage.TRANSCRIBED):
                u.reset_connection()

    def live(self) -> list[Utterance]:
        return [u for u in self.utts.values() if not u.terminal]

    def by_item(self, item_id: str) -> Utterance | None:
        return next((u for u in self.utts.values() if u.item_id == item_id), None)

    def by_response(self, response_id: str) -> Utterance | None:
        return next((u for u in self.utts.values() if u.response_id == response_id), None)

    def responding(self) -> Utterance | None:
        return next((u for u in self.utts.values() if u.stage is Stage.RESPONDING), None)

    def next_to_translate(self) -> Utterance | None:
        """The earliest unfinished utterance, if it is ready for its response."""
        for u in self.utts.values():
            if u.terminal:
                continue
            if u.decision is Decision.SKIP:
                continue
            if u.stage is Stage.TRANSCRIBED and u.decision is Decision.TRANSLATE:
                return u
            return None
        return None

    def forget_finished(self, keep: int = 4) -> None:
        """Drop terminal utterances at the front, keeping a few for item pruning."""
        terminal_front = 0
        for u in self.utts.values():
            if not u.terminal:
                break
            terminal_front += 1
        for _ in range(max(0, terminal_front - keep)):
            self.utts.popitem(last=False)

    def idle(self) -> bool:
        """No commit, transcription or response pending: a good moment to change connections."""
        return all(u.stage in (Stage.OPEN, Stage.CLOSED, *TERMINAL) for u in self.utts.values())
