"""The emulator under a hostile client: a capped append and buffer, memory freed at close,
a connection limit, and no open door on a public address."""

from __future__ import annotations

import base64
import gc

import numpy as np
import pytest
from azure.ai.voicelive.aio import ConnectionError as VoiceLiveConnectionError

from tests.e2e.conftest import run_cli
from tests.emulator.helpers import collect, configure, session
from translator.emulator import Emulator, EmulatorOptions
from translator.emulator.input_audio import InputAudio
from translator.emulator.options import MAX_APPEND_BYTES, MAX_BUFFERED_MS

MANUAL = {"turn_detection": None, "input_audio_format": "pcm16", "input_audio_sampling_rate": 24000}


def _audio(seconds: float) -> str:
    t = np.arange(int(24000 * seconds))
    syllables = np.sin(t * 2 * np.pi * 3 / 24000) > 0  # bursts, like speech
    tone = (np.sin(t / 7) * 8000 * syllables).astype("<i2")
    return base64.b64encode(tone.tobytes()).decode("ascii")


async def test_an_append_over_15_mib_is_refused_and_the_connection_goes_on() -> None:
    async with Emulator() as emu, session(emu.url) as conn:
        await configure(conn, **MANUAL)
        big = base64.b64encode(b"\0" * (MAX_APPEND_BYTES + 512 * 1024)).decode("ascii")
        await conn.send({"type": "input_audio_buffer.append", "audio": big, "event_id": "big"})
        events = await collect(conn, until={"error"})
        assert events[-1].error.code == "invalid_value" and "15 MiB" in events[-1].error.message
        await conn.send({"type": "input_audio_buffer.append", "audio": _audio(1.0)})
        await conn.send({"type": "input_audio_buffer.commit"})
        assert (await collect(conn, until={"input_audio_buffer.committed"}))[-1]


async def test_the_uncommitted_buffer_is_bounded() -> None:
    async with Emulator() as emu, session(emu.url) as conn:
        await configure(conn, **MANUAL, input_audio_transcription={"model": "azure-speech"})
        minute = _audio(60.0)
        for _ in range(MAX_BUFFERED_MS // 60_000 + 3):  # three minutes past the cap
            await conn.send({"type": "input_audio_buffer.append", "audio": minute})
        await conn.send({"type": "conversation.item.retrieve", "item_id": "none", "event_id": "sync"})
        await collect(conn, until={"error"})  # every append handled by now
        (audio,) = [o for o in gc.get_objects() if isinstance(o, InputAudio)]
        buffered = sum(b.size for b in audio._buffer)
        assert buffered <= MAX_BUFFERED_MS * 24  # 24 samples a millisecond


async def test_a_closed_connection_frees_its_audio_at_once() -> None:
    gc.collect()
    gc.disable()  # only reference counting: what a cycle would hold stays held
    try:
        async with Emulator() as emu:
            for _ in range(3):
                async with session(emu.url) as conn:
                    await configure(conn, **MANUAL)
                    await conn.send({"type": "input_audio_buffer.append", "audio": _audio(30.0)})
                    await conn.send({"type": "input_audio_buffer.commit"})
                    await collect(conn, until={"input_audio_buffer.committed"})
                    await conn.send({"type": "input_audio_buffer.append", "audio": _audio(30.0)})
            held = [o for o in gc.get_objects() if isinstance(o, InputAudio) and o._buffer]
            assert held == []
    finally:
        gc.enable()


async def test_connections_beyond_the_limit_are_refused() -> None:
    async with Emulator(EmulatorOptions(max_connections=2)) as emu:
        async with session(emu.url), session(emu.url):
            with pytest.raises(VoiceLiveConnectionError) as info:
                async with session(emu.url):
                    pass
            assert getattr(info.value.__cause__, "status", None) == 503
        async with session(emu.url) as conn:  # freed again once they closed
            await configure(conn, **MANUAL)


def test_a_public_address_needs_a_key() -> None:
    result = run_cli("emulator", "--host", "0.0.0.0", "--port", "0", timeout=60)
    assert result.code == 2
    assert result.stderr.strip().splitlines()[-1].startswith("translator: error: --host 0.0.0.0")
