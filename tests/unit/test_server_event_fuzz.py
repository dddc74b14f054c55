"""Random and mutated server events never crash a session, and are never dropped silently.

Events go through the real SDK parser (``ServerEvent._deserialize``, what ``conn.recv()``
uses) and then through the session exactly as its receive loop takes them.

The session's event mapping swallows the errors a malformed event raises (a bad
event must not end a session). So "nothing raised" proves little on its own; these
tests also check what the swallowing could hide: a well-formed event is never
swallowed, a swallowed event is always logged with its type, and garbage leaves the
session able to translate and to send only well-formed client events.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from azure.ai.voicelive.models import ServerEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from translator.events import TranslationFinal, TranslatorEvent
from translator.listen.arbiter import Arbiter
from translator.profile.model import parse_profile
from translator.voicelive.connect import ServiceTarget
from translator.voicelive.session import Session
from translator.voicelive.utterances import Decision, Stage
from translator.voicelive.wire.inbound import parse

# A copy of shared/voicelive-sample-sequence.jsonl: one utterance's events as the service sends them.
SEQUENCE = [
    json.loads(line)
    for line in (Path(__file__).parent / "sample-sequence.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
PROFILE = parse_profile("directions: [{source: es-ES, target: en-US}]")


def _session(events: list[TranslatorEvent]) -> Session:
    target = ServiceTarget("http://127.0.0.1:1", "gpt-4o", "2026-07-15", "k")
    session = Session(PROFILE.directions[0], PROFILE, target, events.append, Arbiter())
    session.utterances.open("u1", 0, 0.0)
    session.utterances.audio("u1", b"\x00\x00" * 2400)
    session.utterances.close("u1", 100, 0.0)
    u = session.utterances.utts["u1"]
    u.stage, u.decision, u.transcript, u.item_id = Stage.RESPONDING, Decision.TRANSLATE, "Hola", "item_user1"
    return session


KNOWN_TYPES = sorted({e["type"] for e in SEQUENCE})
CLIENT_TYPES = {
    "input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
    "conversation.item.delete",
    "response.create",
}


def _absorb(session: Session, payload: Any) -> list[dict[str, Any]]:
    """Feed one event; check that it was dropped only if malformed, and never silently."""
    try:
        event = ServerEvent._deserialize(payload, [])
    except (TypeError, ValueError):
        return []  # conn.recv() raises ConnectionError for these; the session skips such a frame
    try:
        parse(event)
        malformed_event = False
    except (AttributeError, KeyError, TypeError, ValueError):  # what the session swallows
        malformed_event = True
    with capture_logs() as logs:  # what the receive loop does with one SDK event
        wire = session.turns.interpret(event)
        if wire is not None:
            session.turns.on(wire)
    logged = [entry for entry in logs if entry["event"] == "malformed_server_event"]
    if payload in SEQUENCE:
        assert not malformed_event and not logged, f"a well-formed {payload['type']} was dropped"
    assert bool(logged) == malformed_event, (payload, logs)
    for entry in logged:
        assert entry["log_level"] == "warning" and entry["error"]
        assert entry["type"] == str(payload.get("type"))[:60]
    return logs


def _check_outgoing(session: Session) -> None:
    """Whatever the garbage did, the session still sends only well-formed client events."""
    for event in session.turns.outgoing(0.0):
        assert event["type"] in CLIENT_TYPES, event
        if event["type"] == "conversation.item.delete":
            assert isinstance(event["item_id"], str) and event["item_id"], event


def _response_stream() -> list[dict[str, Any]]:
    return [e for e in SEQUENCE if e["type"].startswith(("response.", "conversation.item.created"))]


EXPECTED = next(e["transcript"] for e in SEQUENCE if e["type"] == "response.audio_transcript.done")


_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def _mutated(draw: st.DrawFn) -> dict[str, Any]:
    event = json.loads(json.dumps(draw(st.sampled_from(SEQUENCE))))
    for _ in range(draw(st.integers(1, 3))):
        keys = [k for k in event if k != "type"] or ["x"]
        key = draw(st.sampled_from(keys))
        action = draw(st.sampled_from(["drop", "replace", "retype"]))
        if action == "drop":
            event.pop(key, None)
        elif action == "replace":
            event[key] = draw(_json)
        else:
            event["type"] = draw(
                st.sampled_from([e["type"] for e in SEQUENCE] + ["rate_limits.updated", "", "x"])
            )
    return event


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_mutated(), min_size=1, max_size=12))
def test_mutated_events_never_crash_a_session(events: list[dict[str, Any]]) -> None:
    out: list[TranslatorEvent] = []
    session = _session(out)
    for payload in events:
        _absorb(session, payload)
    assert sum(isinstance(e, TranslationFinal) for e in out) <= 1
    _check_outgoing(session)


def test_every_well_formed_event_maps_to_a_wire_event() -> None:
    """The sample sequence, one event at a time: none may be dropped as malformed."""
    for payload in SEQUENCE:
        logs = _absorb(_session([]), payload)
        assert not [entry for entry in logs if entry["event"] == "unknown_server_event"], payload["type"]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(KNOWN_TYPES), st.dictionaries(st.text(max_size=10), _json, max_size=4))
def test_known_types_with_garbage_fields_are_logged_when_dropped(kind: str, fields: dict[str, Any]) -> None:
    payload = {**fields, "type": kind}
    _absorb(_session([]), payload)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=10), _json, max_size=4), max_size=8))
def test_random_objects_never_crash_a_session(events: list[dict[str, Any]]) -> None:
    out: list[TranslatorEvent] = []
    session = _session(out)
    for payload in events:
        _absorb(session, payload)
    _check_outgoing(session)
    # events of no known type change nothing: the real response still makes the translation
    for payload in _response_stream():
        _absorb(session, payload)
    assert [e.text for e in out if isinstance(e, TranslationFinal)] == [EXPECTED]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(["rate_limits.updated", "response.mystery", "warning"]), max_size=5), st.data()
)
def test_unknown_events_between_the_real_ones_change_nothing(unknown: list[str], data: st.DataObject) -> None:
    out: list[TranslatorEvent] = []
    session = _session(out)
    stream = _response_stream()
    for kind in unknown:
        stream.insert(data.draw(st.integers(0, len(stream))), {"type": kind, "event_id": "event_x", "n": 1})
    for payload in stream:
        _absorb(session, payload)
    finals = [e for e in out if isinstance(e, TranslationFinal)]
    assert [f.text for f in finals] == [EXPECTED]
