"""Responses through the SDK: cancel, cancel_previous, barge-in, items, formats, out-of-band."""

from __future__ import annotations

import numpy as np
from azure.ai.voicelive.models import InputTextContentPart, ResponseCreateParams, UserMessageItem

from tests.emulator.conftest import Recording, fast_options
from tests.emulator.helpers import SPANISH, append, closed, collect, configure, session, silence, types
from translator.emulator import Emulator
from translator.emulator.codec import AudioFormat, decode, encode, resample

SLOW = {"model_delay_ms": 0, "pacing": 1.0}


async def _committed(conn, sample: Recording, start_ms: int = 0, end_ms: int = 5000) -> None:  # type: ignore[no-untyped-def]
    await append(conn, sample.span(start_ms, end_ms))
    await conn.input_audio_buffer.commit()
    await collect(conn, until={"conversation.item.created"})


async def test_response_cancel_sends_open_dones(sample: Recording) -> None:
    async with Emulator(fast_options(scenario=sample.scenario, **SLOW)) as emu, session(emu.url) as conn:
        await configure(conn, instructions=SPANISH, turn_detection=None)
        await _committed(conn, sample)
        await conn.response.create()
        await collect(conn, until={"response.audio.delta"})
        await conn.response.cancel(event_id="cancel1")
        events = await collect(conn, until={"response.done"})
        tail = [t for t in types(events) if not t.endswith(".delta")]
        assert tail == [
            "response.audio.done",
            "response.audio_transcript.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.done",
        ]
        done = events[-1].response
        assert done.status == "cancelled" and done.status_details.reason == "client_cancelled"
        await conn.response.cancel(event_id="cancel2")
        error = (await collect(conn, until={"error"}))[-1].error
        assert error.code == "response_cancel_not_active" and error.event_id == "cancel2"


async def test_second_create_cancels_the_first(sample: Recording) -> None:
    async with Emulator(fast_options(scenario=sample.scenario, **SLOW)) as emu, session(emu.url) as conn:
        await configure(conn, instructions=SPANISH, turn_detection=None)
        await _committed(conn, sample)
        await conn.response.create()
        first = (await collect(conn, until={"response.created"}))[-1].response.id
        await conn.response.create()
        events = await collect(conn, until={"response.created"})
        done = next(e for e in events if e.type == "response.done")
        assert done.response.id == first and done.response.status == "cancelled"
        assert events[-1].response.id != first
        assert types(events)[-2:] == ["response.done", "response.created"]


async def test_reject_mode_refuses_a_second_response(sample: Recording) -> None:
    options = fast_options(scenario=sample.scenario, cancel_previous_mode="reject", **SLOW)
    async with Emulator(options) as emu, session(emu.url) as conn:
        await configure(conn, instructions=SPANISH, turn_detection=None)
        await _committed(conn, sample)
        await conn.response.create()
        await collect(conn, until={"response.created"})
        await conn.response.create(event_id="second")
        events = await collect(conn, until={"error", "response.done"})
        assert events[-1].type == "error"
        assert events[-1].error.code == "conversation_already_has_active_response"
        assert events[-1].error.event_id == "second"
        assert (await collect(conn, until={"response.done"}))[-1].response.status == "completed"


async def test_barge_in_cancels_with_turn_detected_and_truncates(sample: Recording) -> None:
    async with Emulator(fast_options(scenario=sample.scenario, **SLOW)) as emu, session(emu.url) as conn:
        vad = {
            "type": "server_vad",
            "interrupt_response": True,
            "create_response": True,
            "auto_truncate": True,
        }
        await configure(conn, instructions=SPANISH, turn_detection=vad)
        await append(conn, sample.span(0, 5300))
        await collect(conn, until={"response.audio.delta"})
        await append(conn, sample.span(5300, 6500))
        events = await collect(conn, until={"conversation.item.truncated"})
        names = types(events)
        assert names.index("input_audio_buffer.speech_started") < names.index("response.done")
        done = next(e for e in events if e.type == "response.done").response
        assert done.status == "cancelled" and done.status_details.reason == "turn_detected"
        assert events[-1].item_id == done.output[0].id


async def test_create_response_false_commits_without_response(sample: Recording) -> None:
    async with Emulator(fast_options(scenario=sample.scenario)) as emu, session(emu.url) as conn:
        vad = {"type": "azure_semantic_vad", "create_response": False, "interrupt_response": False}
        updated = await configure(conn, turn_detection=vad)
        assert updated[-1].session.turn_detection.speech_duration_ms == 80
        await append(conn, np.concatenate([sample.span(0, 5300), silence(2000)]))
        await conn.response.cancel(event_id="probe")  # nothing active: answered with an error
        events = await collect(conn, until={"error"})
        assert "response.created" not in types(events)
        assert "conversation.item.input_audio_transcription.completed" in types(events)


async def test_item_operations_and_errors(emulator: Emulator, sample: Recording) -> None:
    async with session(emulator.url) as conn:
        await configure(conn, instructions=SPANISH, turn_detection=None)
        await conn.conversation.item.create(item=UserMessageItem(content=[InputTextContentPart(text="hola")]))
        created = (await collect(conn, until={"conversation.item.created"}))[-1]
        item_id = created.item.id
        await conn.conversation.item.retrieve(item_id=item_id)
        assert (await collect(conn, until={"conversation.item.retrieved"}))[-1].item.id == item_id
        await conn.conversation.item.delete(item_id=item_id)
        assert (await collect(conn, until={"conversation.item.deleted"}))[-1].item_id == item_id
        await conn.conversation.item.delete(item_id=item_id, event_id="del2")
        error = (await collect(conn, until={"error"}))[-1].error
        assert error.event_id == "del2" and error.param == "item_id"
        await _committed(conn, sample)
        await conn.response.create()
        done = (await collect(conn, until={"response.done"}))[-1].response
        audio_item = done.output[0].id
        await conn.conversation.item.truncate(
            item_id=audio_item, content_index=0, audio_end_ms=10**6, event_id="t1"
        )
        assert (await collect(conn, until={"error"}))[-1].error.param == "audio_end_ms"
        await conn.conversation.item.truncate(item_id=audio_item, content_index=0, audio_end_ms=500)
        assert (await collect(conn, until={"conversation.item.truncated"}))[-1].audio_end_ms == 500


async def test_g711_and_16k_formats(emulator: Emulator, sample: Recording) -> None:
    speech = sample.span(0, 5000).astype(np.float32) / 32768
    for in_name, rate, out_name, out_rate in (
        ("g711_ulaw", 8000, "g711_alaw", 8000),
        ("pcm16", 16000, "pcm16_16000hz", 16000),
    ):
        async with session(emulator.url) as conn:
            updated = await configure(
                conn,
                instructions=SPANISH,
                turn_detection=None,
                input_audio_format=in_name,
                input_audio_sampling_rate=rate,
                output_audio_format=out_name,
            )
            assert updated[-1].type == "session.updated"
            low = resample(speech, 24000, rate)
            if in_name == "g711_ulaw":
                await append(conn, np.frombuffer(encode(low, AudioFormat("ulaw", 8000)), np.uint8), chunk=160)
            else:
                await append(conn, (low * 32767).astype(np.int16), chunk=320)
            await conn.input_audio_buffer.commit()
            await conn.response.create()
            events = await collect(conn, until={"response.done"})
            assert next(
                e for e in events if e.type.endswith("transcription.completed")
            ).transcript.startswith("Good")
            audio = b"".join(e.delta for e in events if e.type == "response.audio.delta")
            fmt = AudioFormat("alaw", 8000) if out_name == "g711_alaw" else AudioFormat("pcm16", out_rate)
            seconds = len(audio) / fmt.bytes_per_sample / out_rate
            assert 1.0 < seconds < 6.0
            assert float(np.abs(decode(audio, fmt)).max()) > 0.05


async def test_out_of_band_response_and_instructions(emulator: Emulator, sample: Recording) -> None:
    async with session(emulator.url) as conn:
        await configure(conn, turn_detection=None, instructions="You are an interpreter.")
        await _committed(conn, sample, 5300, 9300)
        await conn.response.create(
            response=ResponseCreateParams({"conversation": "none"}),
            additional_instructions="Answer in English (en-US).",
        )
        events = await collect(conn, until={"response.done"})
        assert "conversation.item.created" not in types(events)
        done = events[-1].response
        assert done.conversation_id is None
        assert done.output[0].content[0].transcript == "Thank you. Where is the train station?"
        await conn.response.create(
            response={
                "pre_generated_assistant_message": {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "text", "text": "Un momento."}],
                }
            }
        )
        events = await collect(conn, until={"response.done"})
        assert events[-1].response.output[0].content[0].transcript == "Un momento."


async def test_session_update_errors(emulator: Emulator) -> None:
    async with session(emulator.url) as conn:
        events = await configure(conn, turn_detection={"type": "server_vad", "threshold": 7})
        error = events[-1].error
        assert error.param == "session.turn_detection.threshold" and error.event_id == "cli_update"
        events = await configure(conn, colour="blue")
        assert events[-1].error.code == "unknown_parameter"
        events = await configure(
            conn, turn_detection=None, voice={"type": "azure-standard", "name": "es-ES-ElviraNeural"}
        )
        s = events[-1].session
        assert s.turn_detection is None and s.voice["name"] == "es-ES-ElviraNeural"
        events = await configure(conn, voice="not-a-voice")
        assert events[-1].type == "error" and events[-1].error.param == "session.voice"
        assert [e.type async for e in conn] == []
    assert (await closed(emulator.records[0])).close_code == 1008


async def test_input_items_choose_what_a_response_answers(emulator: Emulator, sample: Recording) -> None:
    """Two turns are committed; a response given the first one's transcript as
    ``input_items`` translates the first, not the conversation's newest message."""
    async with session(emulator.url) as conn:
        await configure(conn, turn_detection=None, instructions=SPANISH)
        await _committed(conn, sample, 0, 5000)
        await _committed(conn, sample, 9500, 15000)
        first = UserMessageItem(content=[InputTextContentPart(text="Good morning, everyone,")])
        await conn.response.create(response=ResponseCreateParams(input_items=[first], cancel_previous=False))
        done = (await collect(conn, until={"response.done"}))[-1].response
        # three of the eight words: the same share of the translation
        assert done.output[0].content[0].transcript == "Buenos días a"
        await conn.response.create(response=ResponseCreateParams(input_items=[]))
        done = (await collect(conn, until={"response.done"}))[-1].response
        assert done.output[0].content[0].transcript == "", "an empty context has nothing to translate"
        await conn.response.create()
        done = (await collect(conn, until={"response.done"}))[-1].response
        assert done.output[0].content[0].transcript == "La estación está a dos cuadras al norte del hotel."
        await conn.send({"type": "response.create", "event_id": "bad", "response": {"input_items": "hello"}})
        error = (await collect(conn, until={"error"}))[-1].error
        assert error.code == "invalid_value" and error.event_id == "bad"
