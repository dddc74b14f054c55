"""Hold a translated conversation with a Voice Live endpoint using only the SDK.

Against the emulator::

    translator emulator --port 8765 --scenario translator/samples/en-es-sample.yaml   # terminal 1
    .venv/bin/python scripts/sdk_conversation.py --url http://127.0.0.1:8765          # terminal 2

It streams a recording in real time (``--speed`` to go faster) with server VAD,
prints each turn's transcript and translation, and, given ``--out FILE.wav``, writes
the translated speech there (nothing is written by default). Only ``azure-ai-voicelive``
is used to talk to the service, so the same command works against Azure (``--url https://<resource>.services.ai.azure.com``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import sys
from pathlib import Path

import numpy as np
import soundfile
from azure.ai.voicelive.aio import ConnectionClosed, ConnectionError, connect
from azure.core.credentials import AzureKeyCredential

SAMPLE = Path(__file__).resolve().parents[1] / "translator" / "samples" / "en-es-sample.wav"
RATE_HZ = 24_000
CHUNK = 480  # 20 ms


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default="http://127.0.0.1:8765")
    p.add_argument("--key", default=os.environ.get("VOICELIVE_API_KEY", "emulator-key"))
    p.add_argument("--model", default="gpt-4o")
    p.add_argument("--wav", type=Path, default=SAMPLE, help="24 kHz mono recording to speak")
    p.add_argument(
        "--instructions",
        default="You are an interpreter. Translate what you hear into Spanish (es-ES); "
        "translate Spanish into English (en-US).",
    )
    p.add_argument("--speed", type=float, default=1.0, help="stream at N x real time")
    p.add_argument("--out", type=Path, help="write the translated speech to this WAV file")
    return p.parse_args()


class _Turns:
    def __init__(self) -> None:
        self.committed = 0
        self.done = 0
        self.idle = asyncio.Event()

    def update(self) -> None:
        if self.done >= self.committed:
            self.idle.set()
        else:
            self.idle.clear()


async def _stream(conn, pcm: np.ndarray, speed: float, turns: _Turns, done: asyncio.Event) -> None:  # type: ignore[no-untyped-def]
    """Send the recording (plus 2 s of silence), wait for the last answer, then say so."""
    signal = np.concatenate([pcm, np.zeros(RATE_HZ * 2, np.int16)])
    for i in range(0, signal.size, CHUNK):
        chunk = signal[i : i + CHUNK]
        await conn.input_audio_buffer.append(audio=base64.b64encode(chunk.astype("<i2").tobytes()).decode())
        await asyncio.sleep(CHUNK / RATE_HZ / speed)
    await asyncio.sleep(1.0)  # the last speech_stopped arrives during the trailing silence
    await turns.idle.wait()
    done.set()  # the receive loop stops; leaving ``connect`` closes the connection cleanly


async def _events(conn, done: asyncio.Event):  # type: ignore[no-untyped-def]
    """The connection's events until ``done`` (closing while a receive is pending makes
    the SDK warn about an unexpected CLOSING frame; this never leaves one pending)."""
    stop = asyncio.ensure_future(done.wait())
    try:
        while True:
            recv = asyncio.ensure_future(conn.recv())
            await asyncio.wait({recv, stop}, return_when=asyncio.FIRST_COMPLETED)
            if not recv.done():
                recv.cancel()
                return
            yield recv.result()
    finally:
        stop.cancel()


async def converse(args: argparse.Namespace) -> int:
    pcm, rate = soundfile.read(args.wav, dtype="int16", always_2d=True)
    if rate != RATE_HZ:
        print(f"error: {args.wav} is {rate} Hz; this script sends 24 kHz", file=sys.stderr)
        return 2
    audio: list[bytes] = []
    turns = _Turns()
    turns.update()
    async with connect(endpoint=args.url, credential=AzureKeyCredential(args.key), model=args.model) as conn:
        await conn.session.update(
            session={
                "instructions": args.instructions,
                "modalities": ["text", "audio"],
                "input_audio_format": "pcm16",
                "input_audio_sampling_rate": RATE_HZ,
                "output_audio_format": "pcm16",
                "input_audio_transcription": {"model": "azure-speech"},
                "turn_detection": {
                    "type": "server_vad",
                    "create_response": True,
                    "interrupt_response": False,
                },
            }
        )
        done = asyncio.Event()
        sender = asyncio.create_task(_stream(conn, pcm[:, 0], args.speed, turns, done))
        async for event in _events(conn, done):
            if event.type == "input_audio_buffer.committed":
                turns.committed += 1
                turns.update()
            elif event.type == "conversation.item.input_audio_transcription.completed":
                print(f"heard      : {event.transcript}")
            elif event.type == "response.audio.delta":
                audio.append(event.delta)
            elif event.type == "response.audio_transcript.done":
                print(f"translated : {event.transcript}")
            elif event.type == "response.done":
                turns.done += 1
                turns.update()
            elif event.type == "error":
                print(f"error      : {event.error.code}: {event.error.message}")
        await sender
    data = np.frombuffer(b"".join(audio), dtype="<i2")
    where = ""
    if args.out is not None:
        soundfile.write(args.out, data, RATE_HZ, subtype="PCM_16")
        where = f" written to {args.out}"
    print(f"{turns.done} turns, {data.size / RATE_HZ:.1f} s of translated speech{where}")
    return 0


def main() -> int:
    args = _args()
    try:
        return asyncio.run(converse(args))
    except (ConnectionError, ConnectionClosed, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
