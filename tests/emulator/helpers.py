"""Drive the emulator through the real SDK: connect, stream audio, collect events."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
from azure.ai.voicelive.aio import VoiceLiveConnection, connect
from azure.ai.voicelive.models import ServerEvent
from azure.core.credentials import AzureKeyCredential

from translator.emulator import ConnectionRecord

KEY = AzureKeyCredential("test-key")
SPANISH = "You are an interpreter. Translate everything the speaker says into Spanish (es-ES)."


@asynccontextmanager
async def session(url: str, model: str = "gpt-4o", **kwargs: Any) -> AsyncIterator[VoiceLiveConnection]:
    async with connect(endpoint=url, credential=kwargs.pop("credential", KEY), model=model, **kwargs) as conn:
        yield conn


async def configure(conn: VoiceLiveConnection, **session: Any) -> list[ServerEvent]:
    """Send session.update; return events up to and including session.updated (or an error)."""
    await conn.session.update(session=session, event_id="cli_update")
    return await collect(conn, until={"session.updated", "error"})


async def collect(conn: VoiceLiveConnection, until: set[str], timeout_s: float = 20.0) -> list[ServerEvent]:
    events: list[ServerEvent] = []
    async with asyncio.timeout(timeout_s):
        while True:
            event = await conn.recv()
            events.append(event)
            if event.type in until:
                return events


async def append(
    conn: VoiceLiveConnection, pcm: np.ndarray, chunk: int = 960, realtime_s: float = 0.0
) -> None:
    """Append int16 samples (or raw bytes for g711) in chunks; pause ``realtime_s`` between them."""
    data = pcm.astype("<i2").tobytes() if pcm.dtype != np.uint8 else pcm.tobytes()
    step = chunk * (2 if pcm.dtype != np.uint8 else 1)
    for i in range(0, len(data), step):
        await conn.input_audio_buffer.append(audio=base64.b64encode(data[i : i + step]).decode())
        await asyncio.sleep(realtime_s)


def types(events: Sequence[ServerEvent]) -> list[str]:
    """Event types with runs of the same delta type collapsed to one entry."""
    out: list[str] = []
    for event in events:
        name = str(event.type)
        if name.endswith(".delta") and out and out[-1] == name:
            continue
        out.append(name)
    return out


async def closed(record: ConnectionRecord, timeout_s: float = 5.0) -> ConnectionRecord:
    """Wait until the emulator has finished with a connection (its record is closed)."""
    async with asyncio.timeout(timeout_s):
        await record.ended.wait()
    return record


def silence(ms: int, rate_hz: int = 24_000) -> np.ndarray:
    return np.zeros(rate_hz * ms // 1000, np.int16)
