"""The service-turns core (``turns_server.py``) driven with wire events, no I/O.

The end-to-end behaviour is tested through the CLI and the real SDK in
``tests/e2e/test_server_turns.py``; these tests pin the rules that are hard to
provoke there: what a new connection resends, and what each response is given.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import numpy as np

from translator.events import SourceFinal, SpeechStarted, TranslationFinal, TranslatorEvent, UtteranceSkipped
from translator.listen.arbiter import Arbiter
from translator.listen.segmenter import Unsegmented
from translator.profile.model import Direction
from translator.profile.turns import TurnDetection
from translator.voicelive.turns_server import ServerTurns
from translator.voicelive.wire.inbound import (
    Committed,
    Ignored,
    ResponseEnded,
    ResponseStarted,
    ServiceSpeechStarted,
    ServiceSpeechStopped,
    TextDone,
    Transcribed,
    TranscriptionFailed,
)

RATE = 24_000


def _pcm(ms: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(ms * RATE // 1000) * 3000).astype("<i2").tobytes()


def _turns() -> tuple[ServerTurns, list[TranslatorEvent]]:
    events: list[TranslatorEvent] = []
    arbiter = Arbiter()
    turns = ServerTurns(
        Direction(source="en-US", target="es-ES"),
        events.append,
        arbiter,
        TurnDetection(type="server_vad", prefix_padding_ms=300, silence_duration_ms=500),
    )
    arbiter.register(turns.key, "en-US", turns.decide)
    return turns, events


def _sent_audio(out: list[dict[str, Any]]) -> bytes:
    return b"".join(base64.b64decode(e["audio"]) for e in out if e["type"] == "input_audio_buffer.append")


def _of(out: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in out if e["type"] == kind]


def _live(turns: ServerTurns, audio: bytes, start_s: float, piece_ms: int = 100) -> list[dict[str, Any]]:
    """Push ``audio`` as a live input does, a piece at a time, sending after each."""
    out: list[dict[str, Any]] = []
    step = piece_ms * RATE * 2 // 1000
    for k in range(0, len(audio), step):
        now = start_s + k // step * piece_ms / 1000
        turns.push(Unsegmented(audio[k : k + step]), now)
        out += turns.outgoing(now)
    return out


def _translate(turns: ServerTurns, response_id: str, text: str) -> None:
    turns.on(ResponseStarted(response_id))
    turns.on(TextDone(response_id, text))
    turns.on(ResponseEnded(response_id, "completed", None))


def test_times_map_onto_the_input_without_padding_or_closing_silence() -> None:
    turns, events = _turns()
    turns.new_connection(1)
    turns.push(Unsegmented(_pcm(4000, 1)), 0.0)
    turns.outgoing(0.0)
    turns.on(ServiceSpeechStarted("item_a", 700))
    turns.on(ServiceSpeechStopped("item_a", 3200))
    turns.on(Committed("item_a"))
    turns.on(Transcribed("item_a", "Hello there."))
    assert SpeechStarted("en-US>es-ES", "u1", 1000) in events
    final = next(e for e in events if isinstance(e, SourceFinal))
    assert (final.start_ms, final.end_ms, final.text) == (1000, 2700, "Hello there.")


def test_responses_come_one_at_a_time_in_order_each_with_its_own_context() -> None:
    turns, events = _turns()
    turns.new_connection(1)
    turns.push(Unsegmented(_pcm(9000, 2)), 0.0)
    turns.outgoing(0.0)
    for n, (a, b) in enumerate([(0, 2000), (3000, 5000), (6000, 8000)]):
        item = f"item_{n}"
        turns.on(ServiceSpeechStarted(item, a))
        turns.on(ServiceSpeechStopped(item, b))
        turns.on(Committed(item))
    # the second and third are transcribed before the first: still translated in order
    turns.on(Transcribed("item_1", "Second."))
    turns.on(Transcribed("item_2", "Third."))
    assert not _of(turns.outgoing(0.0), "response.create")
    turns.on(Transcribed("item_0", "First."))
    creates = _of(turns.outgoing(0.0), "response.create")
    assert len(creates) == 1
    assert creates[0]["response"]["cancel_previous"] is False
    assert creates[0]["response"]["input_items"] == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "First."}]}
    ]
    assert not _of(turns.outgoing(0.0), "response.create"), "one response in flight at most"
    _translate(turns, "r1", "Primero.")
    out = turns.outgoing(0.0)
    # the finished exchange leaves the conversation, and is the next one's context
    assert {e["item_id"] for e in _of(out, "conversation.item.delete")} == {"item_0"}
    (second,) = _of(out, "response.create")
    texts = [(i["role"], i["content"][0]["text"]) for i in second["response"]["input_items"]]
    assert texts == [("user", "First."), ("assistant", "Primero."), ("user", "Second.")]
    _translate(turns, "r2", "Segundo.")
    _translate_next = _of(turns.outgoing(0.0), "response.create")
    assert _translate_next[0]["response"]["input_items"][-1]["content"][0]["text"] == "Third."
    _translate(turns, "r3", "Tercero.")
    finals = [e.text for e in events if isinstance(e, TranslationFinal)]
    assert finals == ["Primero.", "Segundo.", "Tercero."]


def test_a_new_connection_resends_from_the_oldest_turn_without_a_transcript() -> None:
    turns, events = _turns()
    turns.new_connection(1)
    audio = _pcm(10_000, 3)
    assert _sent_audio(_live(turns, audio, 0.0)) == audio
    turns.on(ServiceSpeechStarted("item_a", 500))
    turns.on(ServiceSpeechStopped("item_a", 3000))
    turns.on(Committed("item_a"))
    turns.on(Transcribed("item_a", "Kept."))
    turns.on(ServiceSpeechStarted("item_b", 4000))  # still speaking when the connection drops
    turns.new_connection(2)
    assert UtteranceSkipped("en-US>es-ES", "u2", "heard again on the new connection") in events
    # A window at a time: a turn the service has not announced yet must stay within reach of a cut.
    out = [e for t in (20.0, 21.5, 23.0) for e in turns.outgoing(t)]
    bytes_per_ms = RATE * 2 // 1000
    assert _sent_audio(out) == audio[4000 * bytes_per_ms :], "resent from where the open turn began"
    # the transcribed one needs no audio: its response is created from the text
    (create,) = _of(out, "response.create")
    assert create["response"]["input_items"][-1]["content"][0]["text"] == "Kept."
    # the resent turn maps back onto the input timeline
    turns.on(ServiceSpeechStarted("item_c", 0))
    assert SpeechStarted("en-US>es-ES", "u3", 4300) in events


def test_end_of_input_flushes_and_speech_in_the_flush_is_translated() -> None:
    turns, events = _turns()
    turns.new_connection(1)
    turns.push(Unsegmented(_pcm(3000, 4)), 0.0)
    turns.end_input()
    out = turns.outgoing(0.0)
    assert out[-1] == {"type": "input_audio_buffer.commit", "event_id": "flush-1"}
    assert len(_sent_audio(out)) == (3000 + 800) * RATE * 2 // 1000, "input, then closing silence"
    assert not turns.finished()
    turns.on(Committed("item_quiet"))  # never announced by the turn detection
    turns.on(Transcribed("item_quiet", "Soft words."))
    _of(turns.outgoing(0.0), "response.create")
    _translate(turns, "r1", "Palabras suaves.")
    assert [e.text for e in events if isinstance(e, TranslationFinal)] == ["Palabras suaves."]
    assert turns.finished()


def test_an_empty_flush_ends_the_input_quietly() -> None:
    turns, events = _turns()
    turns.new_connection(1)
    turns.push(Unsegmented(bytes(48_000)), 0.0)
    turns.end_input()
    turns.outgoing(0.0)
    turns.on(Committed("item_silence"))
    turns.on(Transcribed("item_silence", ""))
    out = turns.outgoing(0.0)
    assert [e["item_id"] for e in _of(out, "conversation.item.delete")] == ["item_silence"]
    assert turns.finished()
    assert not [e for e in events if isinstance(e, (SpeechStarted, SourceFinal, TranslationFinal))]


def test_after_a_drop_audio_not_surely_heard_is_sent_again() -> None:
    """No turn was open, but the service may not have reported speech in what it got
    last: the new connection starts a little before the audio surely heard (sent at
    least a second before the service's last event)."""
    turns, _ = _turns()
    turns.new_connection(1)
    audio = _pcm(10_000, 5)
    now = time.monotonic()
    _live(turns, audio[: len(audio) // 2], now - 10.0)  # the first 5 s went out long before the last event
    turns.on(Ignored("conversation.item.deleted"))
    _live(turns, audio[len(audio) // 2 :], now + 1.0)  # the rest after it: perhaps never heard
    turns.new_connection(2)
    bytes_per_ms = RATE * 2 // 1000
    resent = [e for t in (2.0, 3.5, 5.0) for e in turns.outgoing(now + t)]
    assert _sent_audio(resent) == audio[4000 * bytes_per_ms :]


def test_the_tape_keeps_only_what_a_new_connection_may_need() -> None:
    turns, _ = _turns()
    turns.new_connection(1)
    start = time.monotonic() - 100.0
    for second in range(60):  # a minute of silence, all sent long ago
        turns.push(Unsegmented(bytes(48_000)), start + second)
        turns.outgoing(start + second)
    turns.on(Ignored("conversation.item.deleted"))  # the service is there and has heard it all
    turns.push(Unsegmented(bytes(48_000)), start + 60)
    assert turns.backlog_ms() <= 2_100
    assert turns._tape.end_ms - turns._tape.start_ms <= 3_000


def _open_long_turn(turns: ServerTurns, ms: int, pause_ms: int = 0) -> list[dict[str, Any]]:
    turns.new_connection(1)
    turns.push(Unsegmented(_pcm(500, 7)), 0.0)
    out = turns.outgoing(0.0)
    turns.on(ServiceSpeechStarted("item_a", 200))  # speech from 500 ms on the input (padding 300)
    turns.push(Unsegmented(_pcm(ms, 8), pause_ms, talk_ms=ms), 0.0)  # talking all along
    return out + turns.outgoing(0.0)


def test_a_long_turn_is_not_cut_before_its_speech_reaches_the_limit() -> None:
    turns, _ = _turns()
    # 3.9 s of speech, with a gap between words at its end: shorter than the 4 s limit
    assert not _of(_open_long_turn(turns, 3900, pause_ms=64), "input_audio_buffer.commit")


def test_a_long_turn_is_cut_at_a_gap_once_its_speech_passes_the_limit() -> None:
    turns, events = _turns()
    out = _open_long_turn(turns, 4200)  # speaking all the way: wait for a gap
    assert not _of(out, "input_audio_buffer.commit")
    turns.push(Unsegmented(_pcm(96, 9), 64, talk_ms=4296), 0.0)  # a gap between words
    (cut,) = _of(turns.outgoing(0.0), "input_audio_buffer.commit")
    assert cut["event_id"] == "cut-u1-1"
    # The service names the commit with the turn's id; the speech goes on as a new item.
    turns.on(Committed("item_a"))
    started = [e for e in events if isinstance(e, SpeechStarted)]
    assert [(e.utterance, e.start_ms) for e in started] == [("u1", 500), ("u2", 4796)]
    turns.push(Unsegmented(_pcm(1500, 10), 600, talk_ms=0), 0.0)
    turns.outgoing(0.0)
    turns.on(ServiceSpeechStopped("item_b", 5796))  # the new item, never announced; speech to 5296
    turns.on(Committed("item_b"))
    turns.on(Transcribed("item_a", "The first part,"))
    turns.on(Transcribed("item_b", "and the rest."))
    _of(turns.outgoing(0.0), "response.create")
    _translate(turns, "r1", "La primera parte,")
    _of(turns.outgoing(0.0), "response.create")
    _translate(turns, "r2", "y el resto.")
    finals = [(e.utterance, e.start_ms, e.end_ms, e.text) for e in events if isinstance(e, TranslationFinal)]
    assert finals == [("u1", 500, 4796, "La primera parte,"), ("u2", 4796, 5296, "y el resto.")]


def test_a_long_turn_without_any_gap_is_cut_at_the_grace_limit() -> None:
    turns, events = _turns()
    out = _open_long_turn(turns, 4600)
    assert not _of(out, "input_audio_buffer.commit")
    turns.push(Unsegmented(_pcm(200, 9), talk_ms=4800), 0.0)  # 4.8 s of speech, no gap: cut now
    assert _of(turns.outgoing(0.0), "input_audio_buffer.commit")
    turns.on(Committed("item_new"))  # this time the service gives the commit a new id
    turns.on(Transcribed("item_new", "All of it."))
    assert [e.text for e in events if isinstance(e, SourceFinal)] == ["All of it."]
    # the speech goes on under the turn's first id
    turns.on(ServiceSpeechStopped("item_a", 6000))
    turns.on(Committed("item_a"))
    turns.on(Transcribed("item_a", "More."))
    assert [e.text for e in events if isinstance(e, SourceFinal)] == ["All of it.", "More."]


def test_a_turn_the_service_has_not_ended_yet_is_not_cut_after_a_pause() -> None:
    """Fast mode: the service is seconds behind what was sent. The client's detector heard
    a real pause after the open turn, so the service is about to end it: no cut (a commit
    now would take the next speech with it)."""
    turns, _ = _turns()
    out = _open_long_turn(turns, 2000)
    turns.push(Unsegmented(_pcm(700, 12), 700, talk_ms=0), 0.0)  # a real pause
    turns.push(Unsegmented(_pcm(3000, 13), 64, talk_ms=3000), 0.0)  # the next sentence
    assert not _of(out + turns.outgoing(0.0), "input_audio_buffer.commit")


def test_fast_mode_never_waits_for_an_open_turn() -> None:
    """Backpressure counts only what is sure to come. An open turn ends only with more
    input, so counting it would stop a fast run for ever; the audio held back at its bound
    does count, since the hold ends by itself (a cut once held for 1.5 s)."""
    turns, _ = _turns()
    _open_long_turn(turns, 30_000)
    bytes_per_ms = RATE * 2 // 1000
    sent = 500 + 4000 + 700
    assert turns.backlog_ms() == 30_500 - sent, "only the audio not sent yet"
    turns.outgoing(0.0)
    assert turns.tick(1.6)
    assert _of(turns.outgoing(1.6), "input_audio_buffer.commit")
    turns.on(Committed("item_a"))
    more = _sent_audio(turns.outgoing(1.7))
    assert len(more) == 4700 * bytes_per_ms, "the hold ended: the continuation's window went out"


def test_an_utterance_that_could_not_be_transcribed_is_translated_from_its_audio() -> None:
    turns, events = _turns()
    turns.new_connection(1)
    audio = _pcm(4000, 11)
    turns.push(Unsegmented(audio), 0.0)
    turns.outgoing(0.0)
    turns.on(ServiceSpeechStarted("item_a", 700))
    turns.on(ServiceSpeechStopped("item_a", 3200))
    turns.on(Committed("item_a"))
    turns.on(TranscriptionFailed("item_a", "audio unclear"))
    (create,) = _of(turns.outgoing(0.0), "response.create")
    (part,) = create["response"]["input_items"][-1]["content"]
    assert part["type"] == "input_audio"
    bytes_per_ms = RATE * 2 // 1000
    assert base64.b64decode(part["audio"]) == audio[700 * bytes_per_ms : 3200 * bytes_per_ms]
    _translate(turns, "r1", "Traducido.")
    assert [e.text for e in events if isinstance(e, TranslationFinal)] == ["Traducido."]
    assert turns.stats.untranscribed == 1


def test_a_long_turn_is_held_at_its_bound_and_cut_there_if_the_service_does_not_end_it() -> None:
    """Fast mode, and the service's detector hears no pause where the client's did: the
    input is held at the turn's start + max_segment_ms + 700 ms, and after 1.5 s without
    an end from the service the client commits there, so the turn never runs longer."""
    turns, events = _turns()
    out = _open_long_turn(turns, 2000)
    turns.push(Unsegmented(_pcm(700, 12), 700, talk_ms=0), 0.0)  # the client heard a pause ...
    turns.push(Unsegmented(_pcm(8000, 13), 0, talk_ms=8000), 0.0)  # ... the service did not
    out += turns.outgoing(10.0)
    assert not _of(out, "input_audio_buffer.commit")
    bytes_per_ms = RATE * 2 // 1000
    assert len(_sent_audio(out)) == (500 + 4000 + 700) * bytes_per_ms, "held at the bound"
    assert not _of(turns.outgoing(11.0), "input_audio_buffer.commit")
    assert not turns.tick(11.0)
    assert turns.tick(11.6), "the watchdog wakes the sender: a fast input may have ended"
    (cut,) = _of(turns.outgoing(11.6), "input_audio_buffer.commit")
    assert cut["event_id"] == "cut-u1-1"
    turns.on(Committed("item_a"))
    assert [(e.utterance, e.start_ms) for e in events if isinstance(e, SpeechStarted)][-1] == ("u2", 5200)
    # the rest flows again, up to the continuation's own bound
    assert len(_sent_audio(turns.outgoing(11.7))) == 4700 * bytes_per_ms


def test_fast_input_runs_no_further_ahead_than_the_service_could_have_announced() -> None:
    """``--fast``, and the service's announcements trail the audio by a round trip. With no
    turn open, the input goes out only to max_segment_ms + 700 ms past a second before the
    audio the service has had time to answer for, so a turn it announces late is still cut
    within its bound (before, a 200 ms round trip let 15 s out before the announcement)."""
    turns, _ = _turns()
    turns.new_connection(1)
    turns.round_trip(0.8)  # the configuration took 0.8 s to answer: wait 1.6 s for announcements
    bytes_per_ms = RATE * 2 // 1000
    turns.push(Unsegmented(_pcm(20_000, 21), pause_ms=700, talk_ms=0), 100.0)  # 20 s at once
    assert len(_sent_audio(turns.outgoing(100.0))) == 4700 * bytes_per_ms
    assert not _sent_audio(turns.outgoing(101.0)), "nothing more within two round trips"
    assert len(_sent_audio(turns.outgoing(101.7))) == 3700 * bytes_per_ms, "the first window settled"
    # a turn the service announces only now, from 3.8 s on: the input stops at its bound ...
    turns.on(ServiceSpeechStarted("item_a", 3500))
    assert len(_sent_audio(turns.outgoing(101.8))) == (3800 + 4700 - 8400) * bytes_per_ms
    assert not _sent_audio(turns.outgoing(103.0))
    # ... and the client cuts it there, 4.7 s long, when the service does not end it
    assert turns.tick(103.4)
    assert _of(turns.outgoing(103.4), "input_audio_buffer.commit")


def test_talk_is_read_where_the_input_is_sent_not_where_it_has_got_to() -> None:
    """``--fast``: the input has run on to a pause, but where the input is being sent the
    client hears talk that began with the open turn: that turn is long, and is cut at once
    at its grace limit instead of after a hold."""
    turns, _ = _turns()
    turns.new_connection(1)
    turns.push(Unsegmented(_pcm(500, 7)), 0.0)
    turns.outgoing(0.0)
    turns.on(ServiceSpeechStarted("item_a", 200))  # speech from 500 ms
    for k in range(1, 51):  # talking to 5.5 s ...
        turns.push(Unsegmented(_pcm(100, 8), 0, talk_ms=k * 100), 0.0)
    turns.push(Unsegmented(_pcm(2000, 9), 700, talk_ms=0), 0.0)  # ... then a real pause
    (cut,) = _of(turns.outgoing(0.0), "input_audio_buffer.commit")
    assert cut["event_id"] == "cut-u1-1"


def test_live_input_is_never_held_back_by_a_slow_round_trip() -> None:
    """The service hears live input as it comes: however long its round trip, the wait for
    its announcements never holds the input back (it would only add to the lag)."""
    turns, _ = _turns()
    turns.new_connection(1)
    turns.round_trip(3.0)
    audio = _pcm(20_000, 22)
    assert _sent_audio(_live(turns, audio, 0.0)) == audio
