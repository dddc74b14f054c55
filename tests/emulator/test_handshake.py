"""Handshake refusals seen through the real SDK: the 403/404/429/5xx switches (from a test
and from a scenario file), a wrong path, and the per-key concurrency limit."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
import pytest
import yaml
from azure.ai.voicelive.aio import ConnectionError as VoiceLiveConnectionError
from azure.core.credentials import AzureKeyCredential

from tests.emulator.conftest import Recording, fast_options
from tests.emulator.helpers import closed, session
from translator.emulator import Emulator, load_scenario


async def _refused_status(url: str, key: str = "test-key") -> int:
    """Connect through the SDK; return the HTTP status of the refused handshake."""
    with pytest.raises(VoiceLiveConnectionError) as info:
        async with session(url, credential=AzureKeyCredential(key)):
            pass
    cause = info.value.__cause__
    assert isinstance(cause, aiohttp.WSServerHandshakeError), repr(cause)
    return cause.status


async def _accepted(url: str, key: str = "test-key") -> None:
    async with session(url, credential=AzureKeyCredential(key)) as conn:
        assert (await conn.recv()).type == "session.created"


@pytest.mark.parametrize(
    ("switch", "status"),
    [("http_403_first_n", 403), ("http_404_first_n", 404), ("http_5xx_first_n", 503)],
)
async def test_handshake_switch_refuses_first_n(sample: Recording, switch: str, status: int) -> None:
    options = fast_options(scenario=sample.scenario)
    setattr(options.faults, switch, 2)
    async with Emulator(options) as emu:
        assert [await _refused_status(emu.url) for _ in range(2)] == [status, status]
        await _accepted(emu.url)
    assert len(emu.records) == 1, "refused handshakes never upgrade"


async def test_switches_queue_in_order_and_5xx_status_is_chosen(sample: Recording) -> None:
    options = fast_options(scenario=sample.scenario)
    faults = options.faults
    faults.http_403_first_n = faults.http_404_first_n = faults.http_429_first_n = 1
    faults.http_5xx_first_n, faults.http_5xx_status = 1, 502
    async with Emulator(options) as emu:
        assert [await _refused_status(emu.url) for _ in range(4)] == [403, 404, 429, 502]
        await _accepted(emu.url)


async def test_refusal_bodies_are_json(sample: Recording) -> None:
    options = fast_options(scenario=sample.scenario)
    options.faults.http_5xx_first_n = 1
    async with Emulator(options) as emu, aiohttp.ClientSession() as http:
        headers = {"api-key": "k"}
        async with http.get(f"{emu.url}/voice-live/realtime?model=gpt-4o", headers=headers) as reply:
            assert reply.status == 503 and reply.headers["Retry-After"] == "1"
            assert (await reply.json())["error"]["code"] == "503"
        async with http.get(f"{emu.url}/openai/realtime", headers=headers) as reply:
            assert reply.status == 404 and (await reply.json())["error"]["code"] == "404"


async def test_wrong_path_is_404_through_the_sdk(emulator: Emulator) -> None:
    assert await _refused_status(f"{emulator.url}/openai") == 404
    assert emulator.records == []


async def test_switches_from_a_scenario_file(tmp_path: Path, sample: Recording) -> None:
    raw = yaml.safe_load(sample.scenario_path.read_text(encoding="utf-8"))
    raw["audio"] = str(sample.scenario.audio)
    raw["faults"] = [
        {"kind": "http_403_first_n", "count": 1},
        {"kind": "http_5xx_first_n", "count": 1, "status": 500},
    ]
    path = tmp_path / "refusals.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    async with Emulator(fast_options(scenario=load_scenario(path))) as emu:
        assert [await _refused_status(emu.url) for _ in range(2)] == [403, 500]
        await _accepted(emu.url)


async def test_per_key_concurrency_limit(sample: Recording) -> None:
    options = fast_options(scenario=sample.scenario)
    options.faults.max_sessions_per_key = 2
    async with Emulator(options) as emu:
        async with AsyncExitStack() as stack:
            for _ in range(2):
                conn = await stack.enter_async_context(session(emu.url))
                assert (await conn.recv()).type == "session.created"
            assert await _refused_status(emu.url) == 429
            await _accepted(emu.url, key="other-key")  # the limit counts per key
        for record in emu.records:
            await closed(record)
        await _accepted(emu.url)  # closed sessions free their places
    assert len(emu.records) == 4
