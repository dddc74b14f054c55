"""The client-turns core (``turns_client.py``) driven with segments and wire events, no I/O.

What is asserted is what goes on the wire (``outgoing``) and what comes out
(``emit``): the ordering rules that keep one translation per utterance, what a new
connection sends again, and the retries. End to end through the CLI and the real SDK
this mode is covered by ``tests/e2e/test_run.py`` and ``tests/e2e/test_faults.py``.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import numpy as np
import pytest

from translator.events import (
    Notice,
    SourceFinal,
    TranslationFinal,
    TranslationPartial,
    TranslatorEvent,
    UtteranceSkipped,
)
from translator.listen.arbiter import Arbiter
from translator.listen.segmenter import SegmentAudio, SegmentClose, SegmentOpen, Unsegmented
from translator.profile.model import Direction
from translator.voicelive.turns_client import ClientTurns
from translator.voicelive.wire.inbound import (
    Committed,
    OutputItem,
    ResponseEnded,
    ResponseStarted,
    ServerError,
    TextDelta,
    TextDone,
    Transcribed,
    TranscriptionFailed,
)

RATE = 24_000
BYTES_PER_MS = RATE * 2 // 1000
KEY = "en-US>es-ES"

Out = list[dict[str, Any]]


def _pcm(ms: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(ms * RATE // 1000) * 3000).astype("<i2").tobytes()


def _turns() -> tuple[ClientTurns, list[TranslatorEvent]]:
    events: list[TranslatorEvent] = []
    arbiter = Arbiter()
    turns = ClientTurns(Direction(source="en-US", target="es-ES"), events.append, arbiter)
    arbiter.register(turns.key, "en-US", turns.decide)
    turns.new_connection(1)
    return turns, events


def _speak(turns: ClientTurns, utt: str, start_ms: int, pcm: bytes, *, pieces: int = 3) -> None:
    """One whole utterance from the segmenter, its audio in a few pieces."""
    turns.push(SegmentOpen(utt, start_ms, start_ms), 0.0)
    step = -(-len(pcm) // pieces) // 2 * 2
    for i in range(0, len(pcm), step):
        turns.push(SegmentAudio(utt, pcm[i : i + step]), 0.0)
    turns.push(
        SegmentClose(utt, start_ms + len(pcm) // BYTES_PER_MS, False, start_ms + len(pcm) // BYTES_PER_MS),
        0.0,
    )


def _of(out: Out, kind: str) -> Out:
    return [e for e in out if e["type"] == kind]


def _audio(out: Out) -> bytes:
    return b"".join(base64.b64decode(e["audio"]) for e in _of(out, "input_audio_buffer.append"))


def _kinds(out: Out) -> list[str]:
    """Event types, runs of appends collapsed to one."""
    kinds: list[str] = []
    for e in out:
        if not (e["type"] == "input_audio_buffer.append" and kinds and kinds[-1] == e["type"]):
            kinds.append(e["type"])
    return kinds


def _answer(turns: ClientTurns, item: str, text: str) -> None:
    """The service commits the buffer as ``item`` and transcribes it."""
    turns.on(Committed(item))
    turns.on(Transcribed(item, text))


def _translate(turns: ClientTurns, response_id: str, text: str) -> None:
    turns.on(ResponseStarted(response_id))
    turns.on(TextDone(response_id, text))
    turns.on(ResponseEnded(response_id, "completed", None))


def _finals(events: list[TranslatorEvent]) -> list[TranslationFinal]:
    return [e for e in events if isinstance(e, TranslationFinal)]


def test_audio_is_committed_utterance_by_utterance_and_answered_in_order() -> None:
    turns, events = _turns()
    one, two = _pcm(1500, 1), _pcm(2500, 2)
    _speak(turns, "u1", 1000, one)
    _speak(turns, "u2", 4000, two, pieces=1)
    out = turns.outgoing(0.0)
    # u1 whole and committed; u2's audio may follow the commit, but u2 is not committed
    # before u1 is settled (its response created), or the buffer would mix them
    assert _kinds(out) == [
        "input_audio_buffer.append",
        "input_audio_buffer.commit",
        "input_audio_buffer.append",
    ]
    assert _audio(out) == one + two
    # at most 1 s of audio per append: u2's 2.5 s came as one piece and goes as three
    assert [len(base64.b64decode(e["audio"])) for e in _of(out, "input_audio_buffer.append")][-3:] == [
        48_000,
        48_000,
        24_000,
    ]
    _answer(turns, "item_1", "Good morning.")
    assert [e for e in events if isinstance(e, SourceFinal)] == [
        SourceFinal(KEY, "u1", "en-US", "es-ES", 1000, 2500, "Good morning.")
    ]
    out = turns.outgoing(0.0)
    assert _kinds(out) == ["response.create"], "u2 waits until u1's response exists"
    assert not _of(turns.outgoing(0.0), "response.create"), "one response at a time"
    turns.on(ResponseStarted("resp_1"))
    assert _kinds(turns.outgoing(0.0)) == ["input_audio_buffer.commit"]
    _answer(turns, "item_2", "See you at noon.")
    assert not _of(turns.outgoing(0.0), "response.create"), "u1's response still runs"
    turns.on(TextDone("resp_1", "Buenos días."))
    turns.on(ResponseEnded("resp_1", "completed", None))
    assert _kinds(turns.outgoing(0.0)) == ["response.create"]
    _translate(turns, "resp_2", "Hasta el mediodía.")
    finals = _finals(events)
    assert [(f.utterance, f.start_ms, f.end_ms, f.text, f.source_text) for f in finals] == [
        ("u1", 1000, 2500, "Buenos días.", "Good morning."),
        ("u2", 4000, 6500, "Hasta el mediodía.", "See you at noon."),
    ]
    turns.end_input()
    turns.outgoing(0.0)
    assert turns.finished()
    assert turns.stats.utterances == 2


def test_text_deltas_make_the_final_when_no_done_text_comes() -> None:
    turns, events = _turns()
    _speak(turns, "u1", 0, _pcm(800, 3))
    turns.outgoing(0.0)
    _answer(turns, "item_1", "Hello.")
    turns.outgoing(0.0)
    turns.on(ResponseStarted("resp_1"))
    turns.on(TextDelta("resp_1", "Ho"))
    turns.on(TextDelta("resp_1", "la."))
    turns.on(TextDelta("resp_other", "ignored"))
    turns.on(ResponseEnded("resp_1", "completed", None))
    assert [e.text for e in events if isinstance(e, TranslationPartial)] == ["Ho", "Hola."]
    assert [f.text for f in _finals(events)] == ["Hola."]


def test_a_new_connection_sends_exactly_the_audio_not_yet_translated() -> None:
    turns, events = _turns()
    one, two, three = _pcm(1000, 4), _pcm(1200, 5), _pcm(900, 6)
    _speak(turns, "u1", 0, one)
    _speak(turns, "u2", 2000, two)
    turns.push(SegmentOpen("u3", 4000, 4000), 0.0)
    turns.push(SegmentAudio("u3", three[:9600]), 0.0)  # still speaking
    turns.outgoing(0.0)
    _answer(turns, "item_1", "One.")
    turns.outgoing(0.0)
    _translate(turns, "resp_1", "Uno.")
    turns.outgoing(0.0)  # u2 committed
    _answer(turns, "item_2", "Two.")
    turns.outgoing(0.0)  # u2's response created ...
    turns.on(ResponseStarted("resp_2"))  # ... and the connection drops mid-response
    turns.new_connection(2)
    turns.push(SegmentAudio("u3", three[9600:]), 0.0)
    turns.push(SegmentClose("u3", 4900, False, 4900), 0.0)
    out = turns.outgoing(0.0)
    assert _audio(out) == two + three, "u1 was translated: not sent again; u2 and u3 whole, once"
    assert _kinds(out) == [
        "input_audio_buffer.append",
        "input_audio_buffer.commit",
        "input_audio_buffer.append",
    ]
    assert not _of(out, "conversation.item.delete"), "old item ids mean nothing on a new connection"
    _answer(turns, "item_2b", "Two.")
    _translate(turns, "resp_stale", "never")  # a response nobody asked for here is ignored
    assert _kinds(turns.outgoing(0.0)) == ["response.create"]
    _translate(turns, "resp_2b", "Dos.")
    assert _kinds(turns.outgoing(0.0)) == ["input_audio_buffer.commit"]
    _answer(turns, "item_3", "Three.")
    turns.outgoing(0.0)
    _translate(turns, "resp_3", "Tres.")
    assert [(f.utterance, f.text) for f in _finals(events)] == [
        ("u1", "Uno."),
        ("u2", "Dos."),
        ("u3", "Tres."),
    ]


def test_a_failed_transcription_is_translated_from_its_audio_and_counted() -> None:
    """The audio is the newest user item on the service: the response is created from it
    at once (no resend), the run says so, and the next utterance follows."""
    turns, events = _turns()
    _speak(turns, "u1", 0, _pcm(1000, 7))
    _speak(turns, "u2", 2000, _pcm(1000, 8))
    turns.outgoing(0.0)
    turns.on(Committed("item_1"))
    turns.on(TranscriptionFailed("item_1", "audio unreadable"))
    out = turns.outgoing(0.0)
    assert _kinds(out) == ["response.create"], "no clear, no resend: the item holds the audio"
    assert any(isinstance(e, Notice) and "translating it from the audio" in e.message for e in events)
    assert turns.stats.untranscribed == 1
    _translate(turns, "resp_1", "Uno.")
    out = turns.outgoing(0.0)
    assert _of(out, "input_audio_buffer.commit"), "the next utterance goes on"
    _answer(turns, "item_2", "Two.")
    turns.outgoing(0.0)
    _translate(turns, "resp_2", "Dos.")
    assert [(f.utterance, f.text) for f in _finals(events)] == [("u1", "Uno."), ("u2", "Dos.")]
    assert not [e for e in events if isinstance(e, UtteranceSkipped)]


def test_a_failed_response_is_created_again_with_later_utterances_withdrawn() -> None:
    turns, events = _turns()
    one, two = _pcm(1000, 11), _pcm(1000, 12)
    _speak(turns, "u1", 0, one)
    _speak(turns, "u2", 2000, two)
    turns.outgoing(0.0)
    _answer(turns, "item_1", "One.")
    turns.outgoing(0.0)
    turns.on(ResponseStarted("resp_1"))
    turns.outgoing(0.0)  # u2 committed while u1's response runs
    _answer(turns, "item_2", "Two.")
    turns.on(ResponseEnded("resp_1", "failed", "server_error"))
    out = turns.outgoing(0.0)
    # a model answers the newest user message: u2 leaves before u1's response is made again
    assert [e["item_id"] for e in _of(out, "conversation.item.delete")] == ["item_2"]
    assert _kinds(out)[-1] == "response.create"
    assert out.index(_of(out, "conversation.item.delete")[0]) < out.index(_of(out, "response.create")[0])
    assert _audio(out) == two, "u2 is sent again, after the clear"
    assert not _of(out, "input_audio_buffer.commit"), "and committed only once u1 is settled"
    _translate(turns, "resp_1b", "Uno.")
    assert _kinds(turns.outgoing(0.0)) == ["input_audio_buffer.commit"]
    _answer(turns, "item_2b", "Two.")
    turns.outgoing(0.0)
    _translate(turns, "resp_2", "Dos.")
    assert [f.text for f in _finals(events)] == ["Uno.", "Dos."]
    assert turns.stats.retries == 1


def test_a_commit_answered_after_its_utterance_was_withdrawn_is_deleted() -> None:
    turns, events = _turns()
    one, two = _pcm(1000, 18), _pcm(1000, 19)
    _speak(turns, "u1", 0, one)
    _speak(turns, "u2", 2000, two)
    turns.outgoing(0.0)
    _answer(turns, "item_1", "One.")
    turns.outgoing(0.0)
    turns.on(ResponseStarted("resp_1"))
    assert _kinds(turns.outgoing(0.0)) == ["input_audio_buffer.commit"]  # u2's commit goes out ...
    turns.on(ResponseEnded("resp_1", "failed", "server_error"))  # ... u1's response fails ...
    turns.outgoing(0.0)  # ... so u2 is withdrawn and sent again later
    turns.on(Committed("item_2_stale"))  # the answer to the withdrawn commit
    out = turns.outgoing(0.0)
    assert [e["item_id"] for e in _of(out, "conversation.item.delete")] == ["item_2_stale"]
    _translate(turns, "resp_1b", "Uno.")
    assert _kinds(turns.outgoing(0.0)) == ["input_audio_buffer.commit"]
    _answer(turns, "item_2", "Two.")
    turns.outgoing(0.0)
    _translate(turns, "resp_2", "Dos.")
    assert [f.text for f in _finals(events)] == ["Uno.", "Dos."]


def test_a_response_that_keeps_failing_is_given_up_and_its_items_removed() -> None:
    turns, events = _turns()
    _speak(turns, "u1", 0, _pcm(1000, 13))
    turns.outgoing(0.0)
    _answer(turns, "item_1", "One.")
    for attempt in range(3):
        assert _of(turns.outgoing(0.0), "response.create"), attempt
        turns.on(ResponseStarted(f"resp_{attempt}"))
        turns.on(ResponseEnded(f"resp_{attempt}", "incomplete", "content_filter"))
    out = turns.outgoing(0.0)
    assert not _of(out, "response.create")
    assert "item_1" in [e["item_id"] for e in _of(out, "conversation.item.delete")]
    assert UtteranceSkipped(KEY, "u1", "translation incomplete") in events
    assert not _finals(events)
    turns.end_input()
    assert turns.finished()


def test_an_utterance_another_direction_translates_is_never_committed_here() -> None:
    turns, events = _turns()
    one, two = _pcm(1000, 14), _pcm(1000, 15)
    _speak(turns, "u1", 0, one)
    turns.push(SegmentOpen("u2", 2000, 2000), 0.0)
    turns.push(SegmentAudio("u2", two), 0.0)
    turns.outgoing(0.0)  # u1 committed; u2's audio sent so far
    turns.decide("u2", False, "Dos.")  # the arbiter: the es→en session translates u2
    turns.push(SegmentClose("u2", 3000, False, 3000), 0.0)
    _answer(turns, "item_1", "One.")
    out = turns.outgoing(0.0)
    assert "input_audio_buffer.clear" in _kinds(out), "u2's audio leaves the buffer"
    assert not _of(out, "input_audio_buffer.commit")
    assert UtteranceSkipped(KEY, "u2", "not translated here") in events
    _translate(turns, "resp_1", "Uno.")
    turns.end_input()
    turns.outgoing(0.0)
    assert turns.finished()
    assert [f.utterance for f in _finals(events)] == ["u1"]


def test_an_empty_transcript_is_skipped_and_its_item_deleted() -> None:
    turns, events = _turns()
    _speak(turns, "u1", 0, _pcm(600, 16))
    turns.outgoing(0.0)
    _answer(turns, "item_1", "  ")
    out = turns.outgoing(0.0)
    assert [e["item_id"] for e in _of(out, "conversation.item.delete")] == ["item_1"]
    assert not _of(out, "response.create")
    assert UtteranceSkipped(KEY, "u1", "not translated here") in events


def test_a_throttled_response_waits_and_is_created_again() -> None:
    turns, events = _turns()
    _speak(turns, "u1", 0, _pcm(800, 17))
    turns.outgoing(0.0)
    _answer(turns, "item_1", "One.")
    now = time.monotonic()
    (create,) = _of(turns.outgoing(now), "response.create")
    turns.on(ServerError("rate_limit_exceeded", "slow down", "rate_limit_error", create.get("event_id")))
    assert not _of(turns.outgoing(time.monotonic()), "response.create"), "held back for a while"
    assert turns.tick(time.monotonic() + 30.0), "the hold ends: the watchdog wakes the sender"
    assert _of(turns.outgoing(time.monotonic() + 30.0), "response.create"), "then created again"
    _translate(turns, "resp_1", "Uno.")
    assert [f.text for f in _finals(events)] == ["Uno."]


def test_only_the_last_two_exchanges_stay_in_the_conversation() -> None:
    turns, _ = _turns()
    deleted: list[str] = []
    for n in range(1, 5):
        _speak(turns, f"u{n}", n * 2000, _pcm(500, 20 + n))
        deleted += [e["item_id"] for e in _of(turns.outgoing(0.0), "conversation.item.delete")]
        _answer(turns, f"item_user{n}", f"Line {n}.")
        turns.outgoing(0.0)
        turns.on(ResponseStarted(f"resp_{n}"))
        turns.on(OutputItem(f"resp_{n}", f"item_reply{n}"))
        turns.on(TextDone(f"resp_{n}", f"Línea {n}."))
        turns.on(ResponseEnded(f"resp_{n}", "completed", None))
    deleted += [e["item_id"] for e in _of(turns.outgoing(0.0), "conversation.item.delete")]
    assert deleted == ["item_user1", "item_reply1", "item_user2", "item_reply2"]


def test_a_full_backlog_drops_the_oldest_unsent_utterance_whole() -> None:
    turns, events = _turns()
    # the service never answers: 130 s of speech pile up past the 120 s bound
    for n in range(13):
        _speak(turns, f"u{n}", n * 10_000, bytes(10_000 * BYTES_PER_MS), pieces=1)
        turns.outgoing(0.0)
    skipped = [e for e in events if isinstance(e, UtteranceSkipped)]
    assert [e.utterance for e in skipped] == ["u0"]
    assert "dropped" in skipped[0].reason
    assert any(isinstance(e, Notice) and e.kind == "audio_dropped" for e in events)
    assert turns.backlog_ms() <= 120_000


def test_client_turns_refuse_unsegmented_audio() -> None:
    turns, _ = _turns()
    with pytest.raises(TypeError):
        turns.push(Unsegmented(b"\x00\x00"), 0.0)
