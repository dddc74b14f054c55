"""The pure parts of the audience server: listen addresses, caption numbering, the fan-out
ring's skip policy, the audio wire format, and Opus encoding (decoded again with PyAV)."""

from __future__ import annotations

import asyncio

import av
import numpy as np
import pytest
import soundfile

from tests.audio.signals import best_alignment
from tests.e2e.conftest import SAMPLES
from translator.audio.resample import StreamResampler
from translator.errors import UsageError
from translator.events import SourceFinal, TranslationFinal, TranslationPartial
from translator.serve.captions import CaptionBook
from translator.serve.channel import AudioChannel, pack, unpack
from translator.serve.options import parse_listen
from translator.serve.opus import OpusEncoder
from translator.subtitles.options import SubtitleOptions


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("8080", ("127.0.0.1", 8080)), (":0", ("127.0.0.1", 0)), ("0.0.0.0:80", ("0.0.0.0", 80)),
     ("[::1]:9000", ("::1", 9000))],
)  # fmt: skip
def test_listen_address_defaults_to_loopback(spec: str, expected: tuple[str, int]) -> None:
    assert parse_listen(spec) == expected


@pytest.mark.parametrize("spec", ["", "http://x", "host:99999", "a b:80", "80x"])
def test_bad_listen_address_is_a_usage_error(spec: str) -> None:
    with pytest.raises(UsageError, match="--serve"):
        parse_listen(spec)


def _final(direction: str, utterance: str, text: str) -> TranslationFinal:
    source, target = direction.split(">")
    return TranslationFinal(direction, utterance, source, target, 0, 1000, text, "src")


def test_caption_finals_are_numbered_append_only_and_original_is_read_once() -> None:
    book = CaptionBook([("en-US", "es-ES"), ("en-US", "fr-FR")], SubtitleOptions())
    assert book.languages == ["es-ES", "fr-FR", "original"]
    partial = book.feed(TranslationPartial("en-US>es-ES", "u1", "Hola  a"))
    assert partial is not None and (partial.kind, partial.text, partial.seq) == ("partial", "Hola a", 0)
    for direction in ("en-US>es-ES", "en-US>fr-FR"):
        book.feed(SourceFinal(direction, "u1", "en-US", direction[-5:], 0, 900, "Hello all"))
    book.feed(_final("en-US>es-ES", "u1", "Hola a todos"))
    book.feed(_final("en-US>fr-FR", "u1", "Bonjour à tous"))
    assert [(c.seq, c.lang, c.text) for c in book.finals] == [
        (1, "original", "Hello all"),  # one source line, though two directions report it
        (2, "es-ES", "Hola a todos"),
        (3, "fr-FR", "Bonjour à tous"),
    ]
    assert [c.seq for c in book.since(2)] == [3]
    assert book.feed(_final("en-US>es-ES", "u2", "   ")) is None  # empty lines are not captions


async def test_a_late_listener_skips_to_the_live_point_but_a_burst_is_not_late() -> None:
    channel = AudioChannel(keep=100)
    for i in range(60):  # a 1.2 s burst arriving at once (the service sends faster than real time)
        channel.publish(bytes([i]), source_at_s=10.0)
    batch = channel.take(0, now_s=10.1, max_lag_s=0.5)
    assert (len(batch.frames), batch.skipped, batch.cursor) == (60, 0, 60)
    for i in range(60, 160):  # 100 more frames, 20 ms apart; the ring keeps the last 100
        channel.publish(bytes([i % 256]), source_at_s=10.0 + (i - 59) * 0.02)
    late = channel.take(60, now_s=12.0, max_lag_s=0.5)
    assert late.frames[0].source_at_s >= 11.5 and late.skipped > 0
    assert late.frames[-1].seq == 159 and late.skipped + len(late.frames) == 100
    gone = channel.take(0, now_s=12.0, max_lag_s=10)  # older than the ring: skipped, never an error
    assert gone.skipped == 60 and len(gone.frames) == 100
    waiter = asyncio.ensure_future(channel.wait_beyond(160))
    await asyncio.sleep(0)
    assert not waiter.done()
    channel.publish(b"x", 12.0)
    await asyncio.wait_for(waiter, 1)


def test_audio_message_round_trips() -> None:
    channel = AudioChannel()
    for packet in (b"abc", b"", b"\x00" * 300):
        channel.publish(packet, 0.0)
    frames = channel.take(0, 0.0, 1.0).frames
    assert unpack(pack(frames)) == [(0, b"abc"), (1, b""), (2, b"\x00" * 300)]


def test_opus_encodes_once_at_48k_and_decodes_to_the_same_speech() -> None:
    speech, rate = soundfile.read(SAMPLES / "en-es-sample.wav", dtype="float64")
    voice = speech[600 * 24 : 2600 * 24]  # 2 s of "Good morning, everyone"
    pcm = (voice * 32767).astype("<i2").tobytes()
    encoder = OpusEncoder()
    packets: list[bytes] = []
    for i in range(0, len(pcm), 2400):  # 50 ms pieces, like service deltas
        packets += encoder.encode(pcm[i : i + 2400], rate)
    packets += encoder.flush()
    assert len(packets) == 100  # 2 s in 20 ms frames
    assert sum(map(len, packets)) * 8 / 2 <= 48_000  # bit/s: a listener needs well under 64 kbit/s
    decoder = av.CodecContext.create("libopus", "r")
    decoder.sample_rate = 48_000  # type: ignore[attr-defined]
    decoder.layout = "mono"  # type: ignore[attr-defined]
    decoded = np.concatenate(
        [f.to_ndarray().reshape(-1) for p in packets for f in decoder.decode(av.Packet(p))]  # type: ignore[attr-defined]
    ).astype(np.float64)
    assert decoder.sample_rate == 48_000
    decoded = decoded / 32768.0 if np.abs(decoded).max() > 2 else decoded
    back = StreamResampler(48_000, rate).process(decoded.astype(np.float32)).astype(np.float64)
    _, similarity = best_alignment(np.concatenate((back, np.zeros(rate // 10))), voice)
    assert similarity > 0.8


class FakeTransport:
    """Stands in for a socket's transport: records writes, with a settable write-buffer fill."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.buffered = 0
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


async def test_fan_out_skips_a_stuck_listener_to_the_live_point_then_drops_it() -> None:
    from translator.serve.fanout import MAX_BUFFERED_BYTES, STALL_DROP_S, FanOut, ws_binary_frame
    from translator.serve.hub import DeliveryStats

    now = [100.0]
    channel, stats = AudioChannel(), DeliveryStats()
    fanout = FanOut(channel, "es-ES", stats, clock=lambda: now[0])
    fast, slow = FakeTransport(), FakeTransport()
    fanout.attach(fast)
    fanout.attach(slow)
    channel.publish(b"a", now[0])
    assert fast.writes == slow.writes == [ws_binary_frame(pack(channel.take(0, now[0], 1).frames))]
    assert fast.writes[0] is slow.writes[0]  # built once, written to both

    slow.buffered = MAX_BUFFERED_BYTES + 1  # the phone stops reading
    for i in range(50):  # 1 s of audio
        now[0] += 0.02
        channel.publish(bytes([i]), now[0])
    assert len(fast.writes) == 51 and len(slow.writes) == 1  # the others never wait
    slow.buffered = 0
    now[0] += 0.02
    channel.publish(b"z", now[0])
    frame = slow.writes[-1]
    resumed = unpack(frame[4:] if frame[1] == 126 else frame[2:])
    assert resumed[0][0] > 1 and resumed[-1][1] == b"z"  # only the last 500 ms: the live point
    assert stats.frames_skipped == resumed[0][0] - 1

    slow.buffered = MAX_BUFFERED_BYTES + 1
    for _ in range(2):
        now[0] += STALL_DROP_S
        channel.publish(b"y", now[0])
    assert slow.closed and stats.listeners_dropped == 1 and not fast.closed
