"""Conformance: the emulator driven only through the real SDK (``azure.ai.voicelive.aio.connect``)."""

from __future__ import annotations

import aiohttp
import pytest
from azure.ai.voicelive.aio import ConnectionError as VoiceLiveConnectionError
from azure.ai.voicelive.models import ServerEvent
from azure.core.credentials import AzureKeyCredential

from tests.emulator.conftest import Recording, fast_options
from tests.emulator.helpers import SPANISH, append, collect, configure, session, types
from translator.emulator import Emulator

VAD = {"type": "server_vad", "create_response": True, "interrupt_response": True}
RESPONSE = [
    "response.created",
    "response.output_item.added",
    "conversation.item.created",
    "response.content_part.added",
    "response.audio_transcript.delta",
    "response.audio.delta",
    "response.audio.done",
    "response.audio_transcript.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.done",
]


def _fold_interleaved(names: list[str]) -> list[str]:
    """Collapse the interleaved transcript/audio deltas into one of each, in first-seen order."""
    out: list[str] = []
    for name in names:
        if name.endswith(".delta") and name in out and out[-1].endswith(".delta"):
            continue
        out.append(name)
    return out


def _assert_wellformed(events: list[ServerEvent]) -> None:
    ids = [e.event_id for e in events]
    assert all(ids), "every server event has an event_id"
    assert len(set(ids)) == len(ids), "event ids are unique"
    for event in events:
        assert type(event) is not ServerEvent, f"{event.type} parsed into the bare ServerEvent"


async def _one_utterance(emu: Emulator, sample: Recording, model: str) -> list[ServerEvent]:
    async with session(emu.url, model=model) as conn:
        events = await configure(
            conn,
            instructions=SPANISH,
            turn_detection=VAD,
            input_audio_transcription={"model": "azure-speech"},
        )
        await append(conn, sample.span(0, 5500))
        events += await collect(conn, until={"response.done"})
        if model.startswith("gpt-realtime"):
            events += await collect(conn, until={"conversation.item.input_audio_transcription.completed"})
    return events


async def test_cascaded_sequence(emulator: Emulator, sample: Recording) -> None:
    events = await _one_utterance(emulator, sample, "gpt-4o")
    _assert_wellformed(events)
    assert _fold_interleaved([e.type for e in events]) == [
        "session.created",
        "session.updated",
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.input_audio_transcription.completed",
        "conversation.item.created",
        *RESPONSE,
    ]
    by_type = {e.type: e for e in events}
    user_id = by_type["input_audio_buffer.speech_started"].item_id
    assert by_type["input_audio_buffer.speech_stopped"].item_id == user_id
    assert by_type["input_audio_buffer.committed"].item_id == user_id
    assert by_type["input_audio_buffer.committed"].previous_item_id is None
    completed = by_type["conversation.item.input_audio_transcription.completed"]
    assert completed.transcript == "Good morning, everyone, and welcome to the meeting."
    created = [e for e in events if e.type == "conversation.item.created"]
    assert created[0].item.id == user_id and created[0].item.content[0].transcript == completed.transcript
    assert created[1].previous_item_id == user_id and created[1].item.role == "assistant"
    added = by_type["response.output_item.added"]
    assert added.item.status == "incomplete"
    deltas = "".join(e.delta for e in events if e.type == "response.audio_transcript.delta")
    assert deltas == by_type["response.audio_transcript.done"].transcript
    assert deltas == "Buenos días a todos y bienvenidos a la reunión."
    audio = b"".join(e.delta for e in events if e.type == "response.audio.delta")
    assert len(audio) > 24_000 and len(audio) % 2 == 0
    done = by_type["response.done"].response
    assert done.status == "completed" and done.output[0].id == added.item.id
    u = done.usage
    assert u.total_tokens == u.input_tokens + u.output_tokens
    assert u.output_tokens == u.output_token_details.audio_tokens + u.output_token_details.text_tokens
    started = by_type["input_audio_buffer.speech_started"].audio_start_ms
    stopped = by_type["input_audio_buffer.speech_stopped"].audio_end_ms
    assert 0 <= started <= 600 and 4558 < stopped <= 5400


async def test_realtime_sequence_transcript_after_response(emulator: Emulator, sample: Recording) -> None:
    events = await _one_utterance(emulator, sample, "gpt-realtime")
    _assert_wellformed(events)
    assert _fold_interleaved([e.type for e in events]) == [
        "session.created",
        "session.updated",
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.created",
        *RESPONSE,
        "conversation.item.input_audio_transcription.delta",
        "conversation.item.input_audio_transcription.completed",
    ]
    created = next(e for e in events if e.type == "conversation.item.created")
    assert created.item.content[0].transcript is None


async def test_session_created_defaults(emulator: Emulator) -> None:
    async with session(emulator.url) as conn:
        created = await conn.recv()
    assert created.type == "session.created"
    s = created.session
    assert s.id.startswith("sess_") and s.expires_at is not None
    assert s.turn_detection.type == "server_vad" and s.max_response_output_tokens == "inf"
    assert s.input_audio_sampling_rate == 24000 and list(s.modalities) == ["text", "audio"]


async def test_wrong_key_is_401_without_upgrade(sample: Recording) -> None:
    async with Emulator(fast_options(accepted_keys=frozenset({"right"}))) as emu:
        with pytest.raises(VoiceLiveConnectionError) as info:
            async with session(emu.url, credential=AzureKeyCredential("wrong")):
                pass
        assert isinstance(info.value.__cause__, aiohttp.WSServerHandshakeError)
        assert info.value.__cause__.status == 401
        assert emu.records == []
        async with aiohttp.ClientSession() as http:
            url = f"{emu.url}/voice-live/realtime?api-version=2026-07-15&model=gpt-4o"
            async with http.get(url) as response:
                assert response.status == 401
                assert "error" in await response.json()
            for query in ("&api-key=right", "&Authorization=Bearer%20right"):
                async with http.ws_connect(url + query) as ws:
                    assert (await ws.receive_json())["type"] == "session.created"
            async with http.ws_connect(url, headers={"Authorization": "Bearer right"}) as ws:
                assert (await ws.receive_json())["type"] == "session.created"
        assert all("right" not in str(r.query) for r in emu.records)


async def test_empty_commit_is_an_error(emulator: Emulator) -> None:
    async with session(emulator.url) as conn:
        await configure(conn, turn_detection=None)
        await conn.input_audio_buffer.commit(event_id="cli_commit")
        events = await collect(conn, until={"error"})
    error = events[-1].error
    assert error.code == "input_audio_buffer_commit_empty" and error.event_id == "cli_commit"


async def test_manual_turns_commit_clear_and_create(emulator: Emulator, sample: Recording) -> None:
    async with session(emulator.url) as conn:
        await configure(conn, instructions=SPANISH, turn_detection=None)
        await append(conn, sample.span(0, 2000))
        await conn.input_audio_buffer.clear()
        assert [e.type for e in await collect(conn, until={"input_audio_buffer.cleared"})] == [
            "input_audio_buffer.cleared"
        ]
        await append(conn, sample.span(9500, 15000))
        await conn.input_audio_buffer.commit(event_id="c1")
        events = await collect(conn, until={"conversation.item.created"})
        assert types(events) == [
            "input_audio_buffer.committed",
            "conversation.item.input_audio_transcription.completed",
            "conversation.item.created",
        ]
        assert events[1].transcript == "The station is two blocks north of the hotel."
        await conn.response.create(event_id="r1")
        events = await collect(conn, until={"response.done"})
        text = next(e for e in events if e.type == "response.audio_transcript.done").transcript
        assert text == "La estación está a dos cuadras al norte del hotel."
    record = emulator.records[0]
    assert [e["type"] for e in record.received if e["type"] != "input_audio_buffer.append"] == [
        "session.update",
        "input_audio_buffer.clear",
        "input_audio_buffer.commit",
        "response.create",
    ]
    assert sum(e["audio"] for e in record.of_type("input_audio_buffer.append")) == 7500 * 48


async def test_text_only_modality(emulator: Emulator, sample: Recording) -> None:
    async with session(emulator.url) as conn:
        await configure(conn, instructions=SPANISH, turn_detection=None, modalities=["text"])
        await append(conn, sample.span(0, 5000))
        await conn.input_audio_buffer.commit()
        await conn.response.create()
        events = await collect(conn, until={"response.done"})
    names = set(types(events))
    assert "response.text.delta" in names and "response.text.done" in names
    assert not any(n.startswith("response.audio") for n in names)
    done = next(e for e in events if e.type == "response.text.done")
    assert done.text == "Buenos días a todos y bienvenidos a la reunión."
