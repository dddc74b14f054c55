"""The utterance table (``utterances.py``): what it keeps, what it gives back, what it drops.

Pure state, driven through its methods. Where a test needs an utterance in a later
stage it goes through ``_to``, the one place that writes an utterance's fields, so a
change to how the stages are stored touches one helper.
"""

from __future__ import annotations

from translator.voicelive.utterances import Decision, Stage, Utterance, UtteranceTable

RATE = 24_000
BYTES_PER_MS = RATE * 2 // 1000


def _audio(ms: int) -> bytes:
    return bytes(ms * BYTES_PER_MS)


def _spoken(ledger: UtteranceTable, utt: str, start_ms: int, ms: int, *, close: bool = True) -> Utterance:
    u = ledger.open(utt, start_ms, 0.0)
    assert ledger.audio(utt, _audio(ms)) == []
    if close:
        ledger.close(utt, start_ms + ms, 1.0)
    return u


def _to(u: Utterance, stage: Stage, **fields: object) -> Utterance:
    """Put ``u`` in ``stage`` as the turn-taking core would (with the ids it would know)."""
    u.stage = stage
    for name, value in fields.items():
        setattr(u, name, value)
    return u


def test_audio_is_kept_per_utterance_and_closing_fixes_the_end() -> None:
    ledger = UtteranceTable(RATE)
    u = ledger.open("u1", 500, 10.0)
    ledger.audio("u1", _audio(300))
    ledger.audio("u1", _audio(200))
    assert (u.stage, u.end_ms, u.total_bytes, b"".join(u.chunks)) == (
        Stage.OPEN,
        None,
        500 * BYTES_PER_MS,
        _audio(500),
    )
    assert ledger.waiting_ms() == 0, "an open utterance is not waiting for a translation yet"
    ledger.close("u1", 1000, 11.0)
    assert (u.stage, u.end_ms, u.closed_wall_s) == (Stage.CLOSED, 1000, 11.0)
    assert ledger.waiting_ms() == 500
    ledger.close("u1", 2000, 12.0)
    assert u.end_ms == 1000, "closed once"
    assert ledger.audio("nobody", _audio(10)) == [] and "nobody" not in ledger.utts


def test_the_backlog_is_bounded_by_dropping_the_oldest_unfinished_utterance_whole() -> None:
    ledger = UtteranceTable(RATE, max_backlog_ms=3000)
    done = _spoken(ledger, "u0", 0, 2000)
    _to(done, Stage.DONE)
    _spoken(ledger, "u1", 2000, 1500)
    _spoken(ledger, "u2", 4000, 1000)
    assert ledger.dropped_utterances == 0, "translated audio does not count"
    ledger.open("u3", 6000, 0.0)
    dropped = ledger.audio("u3", _audio(800))
    assert [u.id for u in dropped] == ["u1"]
    assert ledger.utts["u1"].stage is Stage.SKIPPED and not ledger.utts["u1"].chunks
    assert (ledger.dropped_utterances, ledger.dropped_ms) == (1, 1500)
    assert ledger.backlog_bytes() == 1800 * BYTES_PER_MS
    assert [u.id for u in ledger.live()] == ["u2", "u3"]
    assert ledger.audio("u1", _audio(10)) == [], "a dropped utterance takes no more audio"


def test_a_new_connection_forgets_what_the_old_one_knew_but_not_the_audio() -> None:
    ledger = UtteranceTable(RATE)
    done = _to(_spoken(ledger, "u1", 0, 500), Stage.DONE, item_id="item_1", sent_bytes=500 * BYTES_PER_MS)
    responding = _to(
        _spoken(ledger, "u2", 1000, 700),
        Stage.RESPONDING,
        sent_bytes=700 * BYTES_PER_MS,
        item_id="item_2",
        response_id="resp_2",
        assistant_item="item_reply2",
        transcript="Two.",
        text_parts=["Do"],
    )
    open_ = _spoken(ledger, "u3", 2000, 300, close=False)
    _to(open_, Stage.OPEN, sent_bytes=300 * BYTES_PER_MS)
    ledger.reset_connection()
    assert (done.stage, done.item_id) == (Stage.DONE, "item_1"), "finished utterances are left alone"
    assert responding.stage is Stage.CLOSED and open_.stage is Stage.OPEN
    for u in (responding, open_):
        assert u.sent_bytes == 0 and u.item_id is None and u.response_id is None
        assert u.assistant_item is None and not u.text_parts and u.text_done is None
    assert responding.transcript == "Two.", "what was heard stays known across connections"
    assert b"".join(responding.chunks) == _audio(700)
    assert ledger.by_response("resp_2") is None and ledger.by_item("item_2") is None
    assert ledger.idle()


def test_rewind_sends_an_utterance_and_the_later_unanswered_ones_again() -> None:
    ledger = UtteranceTable(RATE)
    before = _to(
        _spoken(ledger, "u1", 0, 500), Stage.COMMITTED, sent_bytes=500 * BYTES_PER_MS, item_id="item_1"
    )
    failed = _to(
        _spoken(ledger, "u2", 1000, 500), Stage.COMMITTED, sent_bytes=500 * BYTES_PER_MS, item_id="item_2"
    )
    later = _to(
        _spoken(ledger, "u3", 2000, 500), Stage.TRANSCRIBED, sent_bytes=500 * BYTES_PER_MS, item_id="item_3"
    )
    speaking = _to(_spoken(ledger, "u4", 3000, 200, close=False), Stage.OPEN, sent_bytes=200 * BYTES_PER_MS)
    ledger.rewind_from(failed)
    assert (before.stage, before.sent_bytes, before.item_id) == (
        Stage.COMMITTED,
        500 * BYTES_PER_MS,
        "item_1",
    )
    assert [(u.stage, u.sent_bytes, u.item_id) for u in (failed, later, speaking)] == [
        (Stage.CLOSED, 0, None),
        (Stage.CLOSED, 0, None),
        (Stage.OPEN, 0, None),
    ]


def test_rewind_leaves_a_running_response_alone() -> None:
    ledger = UtteranceTable(RATE)
    first = _to(
        _spoken(ledger, "u1", 0, 500), Stage.COMMITTED, sent_bytes=500 * BYTES_PER_MS, item_id="item_1"
    )
    running = _to(_spoken(ledger, "u2", 1000, 500), Stage.RESPONDING, item_id="item_2", response_id="r2")
    ledger.rewind_from(first)
    assert first.stage is Stage.CLOSED
    assert (running.stage, running.item_id, running.response_id) == (Stage.RESPONDING, "item_2", "r2")
    assert ledger.responding() is running and ledger.by_response("r2") is running


def test_the_next_translation_is_always_the_earliest_unfinished_utterance() -> None:
    ledger = UtteranceTable(RATE)
    first = _spoken(ledger, "u1", 0, 500)
    second = _to(_spoken(ledger, "u2", 1000, 500), Stage.TRANSCRIBED, decision=Decision.TRANSLATE)
    assert ledger.next_to_translate() is None, "u2 is ready but u1 comes first"
    _to(first, Stage.TRANSCRIBED, decision=Decision.PENDING)
    assert ledger.next_to_translate() is None, "u1 waits for the arbiter"
    _to(first, Stage.TRANSCRIBED, decision=Decision.SKIP)
    assert ledger.next_to_translate() is second, "another direction translates u1"
    _to(first, Stage.SKIPPED)
    _to(second, Stage.DONE)
    assert ledger.next_to_translate() is None


def test_settled_says_when_the_next_utterance_may_be_committed() -> None:
    ledger = UtteranceTable(RATE)
    u = _to(_spoken(ledger, "u1", 0, 500), Stage.COMMITTED, item_id="item_1")
    assert not u.settled
    _to(u, Stage.TRANSCRIBED, decision=Decision.TRANSLATE)
    assert not u.settled, "its response does not exist yet"
    _to(u, Stage.RESPONDING, response_id="r1", response_created=True)
    assert u.settled
    other = _to(_spoken(ledger, "u2", 1000, 500), Stage.COMMITTED, decision=Decision.SKIP)
    assert other.settled, "not translated here: nothing to wait for"
    assert _to(_spoken(ledger, "u3", 2000, 500), Stage.SKIPPED).settled


def test_finished_utterances_are_forgotten_from_the_front_but_a_few_kept() -> None:
    ledger = UtteranceTable(RATE)
    for n in range(7):
        _to(_spoken(ledger, f"u{n}", n * 1000, 100), Stage.DONE)
    _spoken(ledger, "u7", 7000, 100)
    _to(_spoken(ledger, "u8", 8000, 100), Stage.DONE)
    ledger.forget_finished(keep=4)
    assert list(ledger.utts) == ["u3", "u4", "u5", "u6", "u7", "u8"]
    assert [u.id for u in ledger.live()] == ["u7"]


def test_idle_means_nothing_is_pending_on_the_service() -> None:
    ledger = UtteranceTable(RATE)
    u = _spoken(ledger, "u1", 0, 500)
    _spoken(ledger, "u2", 1000, 500, close=False)
    assert ledger.idle()
    for stage in (Stage.COMMITTED, Stage.TRANSCRIBED, Stage.RESPONDING):
        _to(u, stage)
        assert not ledger.idle(), stage
    _to(u, Stage.DONE)
    assert ledger.idle()


def test_lookups_by_item_and_response() -> None:
    ledger = UtteranceTable(RATE)
    a = _to(_spoken(ledger, "u1", 0, 100), Stage.TRANSCRIBED, item_id="item_a")
    b = _to(_spoken(ledger, "u2", 200, 100), Stage.RESPONDING, item_id="item_b", response_id="resp_b")
    assert ledger.by_item("item_a") is a and ledger.by_item("item_b") is b
    assert ledger.by_response("resp_b") is b and ledger.by_response("resp_a") is None
    assert ledger.responding() is b
    assert ledger.ms_of(BYTES_PER_MS * 250) == 250
