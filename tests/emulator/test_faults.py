"""Each fault, triggered from the Python API (and one from a scenario file), seen through the SDK."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest
import yaml
from azure.ai.voicelive.aio import ConnectionClosed
from azure.ai.voicelive.aio import ConnectionError as VoiceLiveConnectionError
from azure.ai.voicelive.models import ServerEvent, ServerEventWarning

from tests.emulator.conftest import Recording, fast_options
from tests.emulator.helpers import SPANISH, append, closed, collect, configure, session, types
from translator.emulator import Emulator, load_scenario


async def _translate(conn, sample: Recording) -> list[ServerEvent]:  # type: ignore[no-untyped-def]
    await configure(conn, instructions=SPANISH, turn_detection=None)
    await append(conn, sample.span(0, 5000))
    await conn.input_audio_buffer.commit()
    events = await collect(conn, until={"conversation.item.created"})
    await conn.response.create()
    return events + await collect(conn, until={"response.done"})


async def test_close_1011_mid_response_then_redo_succeeds(emulator: Emulator, sample: Recording) -> None:
    emulator.faults.add("close_1011_mid_response", 0)
    async with session(emulator.url) as conn:
        with pytest.raises(ConnectionClosed) as info:
            await _translate(conn, sample)
        assert info.value.code == 1011
    async with session(emulator.url) as conn:
        assert (await _translate(conn, sample))[-1].response.status == "completed"
    assert emulator.records[0].close_code == 1011


async def test_tcp_abort_mid_response(emulator: Emulator, sample: Recording) -> None:
    emulator.faults.add("tcp_abort_mid_response", 0)
    async with session(emulator.url) as conn:
        with pytest.raises(ConnectionClosed):
            await _translate(conn, sample)
        assert conn._connection.close_code == 1006
    assert (await closed(emulator.records[0])).close_code == 1006


async def test_session_expiry_matches_expires_at(sample: Recording) -> None:
    options = fast_options(scenario=sample.scenario)
    options.faults.expire_after_s = 1.5
    async with Emulator(options) as emu, session(emu.url) as conn:
        created = await conn.recv()
        assert abs(created.session.expires_at.timestamp() - (time.time() + 1.5)) < 1.5
        events = await collect(conn, until={"error"}, timeout_s=5)
        assert events[-1].error.code == "session_expired"
        with pytest.raises(ConnectionClosed) as info:
            await conn.recv()
        assert info.value.code == 1001


async def test_http_429_for_first_handshakes(sample: Recording) -> None:
    options = fast_options(scenario=sample.scenario)
    options.faults.http_429_first_n = 2
    async with Emulator(options) as emu:
        for _ in range(2):
            with pytest.raises(VoiceLiveConnectionError) as info:
                async with session(emu.url):
                    pass
            assert isinstance(info.value.__cause__, aiohttp.WSServerHandshakeError)
            assert info.value.__cause__.status == 429
        async with session(emu.url) as conn:
            assert (await conn.recv()).type == "session.created"
    assert options.faults.refused() == {"429": 2}


@pytest.mark.parametrize("code", ["rate_limit_exceeded", "server_error"])
async def test_injected_error_event_is_recoverable(emulator: Emulator, sample: Recording, code: str) -> None:
    emulator.faults.add("error_event", 0, code=code)
    async with session(emulator.url) as conn:
        events = await _translate(conn, sample)
    errors = [e for e in events if e.type == "error"]
    assert [e.error.code for e in errors] == [code]
    assert events[-1].response.status == "completed"


async def test_transcription_failed_for_one_utterance(emulator: Emulator, sample: Recording) -> None:
    emulator.faults.add("transcription_failed", 0)
    async with session(emulator.url) as conn:
        events = await _translate(conn, sample)
    failed = next(e for e in events if e.type == "conversation.item.input_audio_transcription.failed")
    assert failed.error.message and failed.item_id == events[0].item_id
    assert "conversation.item.input_audio_transcription.completed" not in types(events)


async def test_response_failed_and_incomplete(emulator: Emulator, sample: Recording) -> None:
    emulator.faults.add("response_failed", 0)
    async with session(emulator.url) as conn:
        done = (await _translate(conn, sample))[-1].response
    assert done.status == "failed" and done.status_details.error["code"] == "internal_error"
    emulator.faults.add("response_incomplete", 0, reason="content_filter")
    async with session(emulator.url) as conn:
        done = (await _translate(conn, sample))[-1].response
    assert done.status == "incomplete" and done.status_details.reason == "content_filter"


async def test_stall_mid_response_trips_receive_timeout(emulator: Emulator, sample: Recording) -> None:
    emulator.faults.add("stall_mid_response", 0, seconds=3.0)
    async with session(emulator.url, connection_options={"receive_timeout": 0.5}) as conn:
        with pytest.raises(TimeoutError):
            await _translate(conn, sample)
    assert [f.kind for f in emulator.faults.fired()] == ["stall_mid_response"]


async def test_stalled_connection_and_no_pong(sample: Recording) -> None:
    options = fast_options(scenario=sample.scenario)
    options.faults.stall_connections[0] = 2.0
    options.faults.no_pong_connections.add(1)
    async with Emulator(options) as emu:
        async with session(emu.url, connection_options={"receive_timeout": 0.5}) as conn:
            await configure(conn, turn_detection=None)
            await conn.input_audio_buffer.commit()
            with pytest.raises(TimeoutError):
                await conn.recv()
        async with session(emu.url, connection_options={"heartbeat": 0.2}) as conn:
            assert (await conn.recv()).type == "session.created"
            with pytest.raises(ConnectionClosed) as info:
                await collect(conn, until={"never"}, timeout_s=5)
            assert info.value.code == 1006


async def test_event_latency_delays_every_event_but_not_the_listening(sample: Recording) -> None:
    """A distant or loaded service: its events trail the audio by the latency, in order,
    while it goes on hearing what the client sends."""
    options = fast_options(scenario=sample.scenario)
    options.faults.event_latency_s = 1.0
    async with Emulator(options) as emu, session(emu.url) as conn:
        asked = time.monotonic()
        assert (await conn.recv()).type == "session.created"
        assert time.monotonic() - asked >= 0.95
        await configure(conn, turn_detection={"type": "server_vad", "create_response": False})
        record = emu.records[0]
        sent = time.monotonic()
        await append(conn, sample.span(0, 5000))
        while "input_audio_buffer.speech_started" not in record.sent_types:
            assert time.monotonic() - sent < 0.9, "the emulator did not hear the speech at once"
            await asyncio.sleep(0.01)
        events = await collect(conn, until={"input_audio_buffer.speech_started"})
        assert time.monotonic() - sent >= 0.95, "the announcement came before its latency"
        assert types(events) == ["input_audio_buffer.speech_started"]


async def test_unknown_events_from_a_scenario_file(tmp_path: Path, sample: Recording) -> None:
    raw = yaml.safe_load(sample.scenario_path.read_text(encoding="utf-8"))
    raw["audio"] = str(sample.scenario.audio)
    raw["faults"] = [{"kind": "unknown_events"}, {"kind": "response_incomplete", "utterance": 0}]
    path = tmp_path / "faulty.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    async with Emulator(fast_options(scenario=load_scenario(path))) as emu, session(emu.url) as conn:
        events = await _translate(conn, sample)
    bare = [e for e in events if type(e) is ServerEvent]
    assert [e.type for e in bare] == ["rate_limits.updated"]
    assert "rate_limits.updated" in emu.records[0].sent_types, "the emulator never sent the unknown event"
    assert events[-1].response.status == "incomplete"
    assert [f.kind for f in emu.faults.fired()] == ["response_incomplete"]


async def test_error_event_can_end_the_response_as_failed(emulator: Emulator, sample: Recording) -> None:
    emulator.faults.add("error_event", 0, code="server_error", ends_response=True)
    async with session(emulator.url) as conn:
        events = await _translate(conn, sample)
        assert (await _translate(conn, sample))[-1].response.status == "completed"  # fired once
    error = next(e for e in events if e.type == "error").error
    done = events[-1].response
    assert done.status == "failed" and done.status_details.error["code"] == error.code == "server_error"
    assert types(events)[-5:] == [
        "response.audio.done",
        "response.audio_transcript.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.done",
    ]


async def test_warning_event_mid_response(emulator: Emulator, sample: Recording) -> None:
    emulator.faults.add("warning_event", 0, code="audio_quality")
    async with session(emulator.url) as conn:
        events = await _translate(conn, sample)
    warnings = [e for e in events if e.type == "warning"]
    assert isinstance(warnings[0], ServerEventWarning) and len(warnings) == 1
    assert warnings[0].warning.code == "audio_quality" and warnings[0].warning.message
    assert events[-1].response.status == "completed"


async def test_oversized_frame_makes_the_sdk_close_with_1009(emulator: Emulator, sample: Recording) -> None:
    emulator.faults.add("oversized_frame", 0)
    async with session(emulator.url) as conn:
        with pytest.raises(ConnectionClosed) as info:
            await _translate(conn, sample)
        assert info.value.code == 1006 and conn._connection.close_code == 1009  # the SDK reports 1006
    # The client closed with 1009 (above). The emulator sees that code only if the close frame
    # reaches it before the client drops the socket, while it is still writing the 4 MiB frame:
    # on a loaded machine it often is not, and the emulator sees an abort (1006).
    assert (await closed(emulator.records[0])).close_code in (1009, 1006)
    assert [f.kind for f in emulator.faults.fired()] == ["oversized_frame"]
