"""Turn taking when this machine cuts the utterances (``turn_detection.type: client``).

The input pipeline's segmenter gives each utterance's audio (``push``); the wire
uses manual turns (``turn_detection: null``, ``input_audio_buffer.commit``).

Rules that keep exactly one translation per utterance, in order (see ``utterances.py``):
an utterance's audio is appended after the previous one was committed; it is
committed once the previous one is settled; one response at a time; a retried
response first withdraws later user items; an utterance the service could not
transcribe is translated from its audio, which is the newest user item then. The
last two exchanges stay in the conversation as context; older items are deleted.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from translator.events import Notice, UtteranceSkipped
from translator.listen.segmenter import Segment, SegmentAudio, SegmentClose, SegmentOpen, Unsegmented
from translator.voicelive.turns import TurnTaking
from translator.voicelive.utterances import Decision, Stage, Utterance
from translator.voicelive.wire import outbound as wire
from translator.voicelive.wire.inbound import Committed, TranscriptionFailed, WireEvent

_CONTEXT_ITEMS = 4  # the last two exchanges stay in the conversation as context


class ClientTurns(TurnTaking):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cursors: dict[str, tuple[int, int]] = {}  # utterance -> (chunk index, bytes before it)
        self._commits: deque[Utterance] = deque()  # commits sent, answered in order
        self._context: deque[str] = deque()  # item ids of finished exchanges, oldest first

    # -- the input side -----------------------------------------------------------------

    def push(self, item: Segment | Unsegmented, wall_s: float) -> None:
        match item:
            case SegmentOpen(utterance=u, start_ms=start):
                self.utterances.open(u, start, wall_s)
            case SegmentAudio(utterance=u, pcm=pcm):
                for dropped in self.utterances.audio(u, pcm):
                    ms = self.utterances.ms_of(dropped.total_bytes)
                    self._log.warning(
                        "audio_dropped",
                        utterance=dropped.id,
                        dropped_ms=ms,
                        total_dropped_ms=self.utterances.dropped_ms,
                    )
                    self._emit(Notice(self.key, "audio_dropped", f"dropped {ms} ms of unsent audio"))
                    self._emit(UtteranceSkipped(self.key, dropped.id, "dropped: the backlog was full"))
            case SegmentClose(utterance=u, end_ms=end):
                self.utterances.close(u, end, wall_s)
            case Unsegmented():
                raise TypeError("client turns take segments, not raw audio")

    def new_connection(self, number: int) -> None:
        super().new_connection(number)
        self.utterances.reset_connection()
        self._cursors.clear()
        self._commits.clear()
        self._context.clear()

    # -- what to send ---------------------------------------------------------------------

    def outgoing(self, now_s: float) -> list[wire.ClientEvent]:
        """Every client event due now, in order."""
        out = list(self._outbox)
        self._outbox.clear()
        prev_settled = True
        for u in list(self.utterances.utts.values()):
            if u.terminal:
                continue
            if u.stage not in (Stage.OPEN, Stage.CLOSED):
                prev_settled = u.settled
                continue
            if u.decision is Decision.SKIP:  # another direction translates it: never commit it here
                if u.sent_bytes:
                    out.append(wire.clear())
                self._end(u, Stage.SKIPPED)
                continue
            out.extend(self._appends(u))
            if u.stage is not Stage.CLOSED or not prev_settled:
                break
            out.append(wire.commit(wire.EventId(wire.Purpose.COMMIT, self._connection, u.id)))
            u.stage = Stage.COMMITTED
            self._commits.append(u)
            prev_settled = False
        due = self._response_due(now_s)
        if due is not None:
            out.append(
                wire.create_response(wire.EventId(wire.Purpose.RESPONSE, due.response_attempts, due.id))
            )
        self.utterances.forget_finished()
        return out

    def _appends(self, u: Utterance) -> list[wire.ClientEvent]:
        # Resume at the first chunk not wholly sent: (chunk index, bytes before it) stays valid
        # while it does not pass sent_bytes; a rewind resets sent_bytes and so the cursor.
        index, before = self._cursors.get(u.id, (0, 0))
        if before > u.sent_bytes:
            index, before = 0, 0
        out: list[wire.ClientEvent] = []
        while index < len(u.chunks):
            chunk = u.chunks[index]
            end = before + len(chunk)
            if end > u.sent_bytes:
                piece = chunk[u.sent_bytes - before :]
                out.extend(wire.append(piece))
                u.sent_bytes += len(piece)
            index, before = index + 1, end
        self._cursors[u.id] = (index, before)
        if len(self._cursors) > 64:
            self._cursors = {k: v for k, v in self._cursors.items() if k in self.utterances.utts}
        return out

    # -- what the service said --------------------------------------------------------------

    def _on_input(self, wire: WireEvent) -> None:
        match wire:
            case Committed(item_id=item):
                self._committed(item)
            case TranscriptionFailed(item_id=item, message=message):
                if (u := self.utterances.by_item(item)) is not None:
                    self._untranscribed(u, message)
            case _:
                pass

    def _committed(self, item: str) -> None:
        u = self._commits.popleft() if self._commits else None
        if u is None:
            return
        if u.stage is not Stage.COMMITTED or u.decision is Decision.SKIP:
            # rewound (or not ours to translate) while the commit was on its way
            self._delete(item)
            if u.decision is Decision.SKIP:
                self._end(u, Stage.SKIPPED)
            return
        u.item_id = item

    def _after_failed_response(self, u: Utterance) -> None:
        """Take later utterances out of the conversation so the retried response sees ``u`` last.

        They were committed while ``u``'s first response ran; a model answers the newest
        user message, so they are deleted, the input buffer is cleared, and they are all
        sent again once ``u`` has its response.
        """
        utts = list(self.utterances.utts.values())
        live = [v for v in utts[utts.index(u) + 1 :] if not v.terminal]
        if not live:
            return
        for v in live:
            if v.item_id is not None:
                self._delete(v.item_id)
        self._outbox.append(wire.clear())
        self.utterances.rewind_from(live[0])

    def _retire(self, u: Utterance) -> None:
        self._context.extend(i for i in (u.item_id, u.assistant_item) if i)
        while len(self._context) > _CONTEXT_ITEMS:
            self._delete(self._context.popleft())
