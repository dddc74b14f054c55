from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.audio.signals import best_alignment, chirp, dominant_hz, from_pcm
from translator.audio import AudioFileError, FileSource, open_source


def write(
    path: Path, rate_hz: int, channels: int, seconds: float = 1.0, fmt: str | None = None
) -> np.ndarray:
    mono = chirp(300, 3000, seconds, rate_hz)
    data = np.stack([mono] * channels, axis=1) if channels > 1 else mono
    soundfile.write(str(path), data, rate_hz, format=fmt)
    return mono


async def collect(source: FileSource) -> list:
    return [c async for c in source.chunks()]


@pytest.mark.parametrize(
    ("name", "rate_hz", "channels"),
    [
        ("a.wav", 24_000, 1),
        ("b.wav", 48_000, 2),
        ("c.flac", 44_100, 2),
        ("d.ogg", 16_000, 1),
        ("e.wav", 8_000, 6),
    ],
)
async def test_any_format_rate_and_channels_become_24k_mono_chunks(
    tmp_path: Path, name: str, rate_hz: int, channels: int
) -> None:
    write(tmp_path / name, rate_hz, channels)
    chunks = await collect(FileSource(tmp_path / name, realtime=False))
    assert all(len(c.pcm) == 960 for c in chunks[:-1])
    assert [c.start_ms for c in chunks[:5]] == [0, 20, 40, 60, 80]
    audio = from_pcm(b"".join(c.pcm for c in chunks))
    assert abs(len(audio) - 24_000) <= 3
    reference = chirp(300, min(3000, rate_hz / 2 * 0.9), 1.0, 24_000)[2000:20000]
    if rate_hz >= 8_000 and name != "e.wav":
        lag, score = best_alignment(audio, reference)
        assert abs(lag - 2000) <= 2 and score > (0.9 if name.endswith(".ogg") else 0.99)


async def test_chunk_ms_and_rate_are_honoured(tmp_path: Path) -> None:
    soundfile.write(
        str(tmp_path / "t.wav"), 0.5 * np.sin(2 * np.pi * 1000 * np.arange(44_100) / 44_100), 44_100
    )
    source = FileSource(tmp_path / "t.wav", sample_rate_hz=16_000, chunk_ms=10, realtime=False)
    chunks = await collect(source)
    assert len(chunks[0].pcm) == 320 and chunks[1].start_ms == 10
    assert abs(dominant_hz(from_pcm(b"".join(c.pcm for c in chunks)), 16_000) - 1000) < 2


async def test_trailing_silence_is_appended(tmp_path: Path) -> None:
    write(tmp_path / "t.wav", 24_000, 1, seconds=0.5)
    chunks = await collect(FileSource(tmp_path / "t.wav", realtime=False, trailing_silence_ms=1500))
    audio = from_pcm(b"".join(c.pcm for c in chunks))
    assert len(audio) == 48_000
    assert not audio[12_100:].any()
    assert chunks[-1].start_ms == 1980


async def test_realtime_pacing_follows_the_start_time_without_drift(tmp_path: Path) -> None:
    write(tmp_path / "t.wav", 24_000, 1, seconds=10.0)
    now = [100.0]
    waits: list[float] = []

    def clock() -> float:
        return now[0]

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds + 0.004  # every sleep oversleeps by 4 ms

    chunks = []
    async for c in FileSource(tmp_path / "t.wav", clock=clock, sleep=sleep).chunks():
        chunks.append((c.start_ms, now[0]))
    assert len(chunks) == 500
    # Oversleeping is absorbed: the last chunk is due at 100 s + 10 s, not 10 s + 500 x 4 ms later.
    assert chunks[-1][1] == pytest.approx(110.004, abs=0.001)
    assert all(w <= 0.020 for w in waits)


async def test_realtime_false_never_sleeps(tmp_path: Path) -> None:
    write(tmp_path / "t.wav", 24_000, 1, seconds=1.0)

    async def sleep(seconds: float) -> None:
        raise AssertionError("slept")

    assert len(await collect(FileSource(tmp_path / "t.wav", realtime=False, sleep=sleep))) == 50


async def test_aclose_stops_the_stream(tmp_path: Path) -> None:
    write(tmp_path / "t.wav", 24_000, 1, seconds=2.0)
    source = FileSource(tmp_path / "t.wav", realtime=False)
    got = 0
    async for _ in source.chunks():
        got += 1
        if got == 3:
            await source.aclose()
    assert got < 10


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "empty"),
        (b"RIFF\x00\x00\x00\x00WAVEjunkjunk", "broken header"),
        (b"hello, not audio" * 20, "text"),
    ],
)
def test_unreadable_files_raise_one_line_naming_the_file(tmp_path: Path, content: bytes, why: str) -> None:
    path = tmp_path / "bad input.wav"
    path.write_bytes(content)
    with pytest.raises(AudioFileError) as info:
        open_source(str(path))
    message = str(info.value)
    assert "bad input.wav" in message and "\n" not in message, why


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError, match="does not exist"):
        open_source(str(tmp_path / "nope.flac"))
    with pytest.raises(AudioFileError, match="directory"):
        open_source(str(tmp_path))


async def test_truncated_file_is_read_up_to_the_damage(tmp_path: Path) -> None:
    path = tmp_path / "cut.flac"
    write(path, 48_000, 2, seconds=2.0)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    try:
        chunks = await collect(FileSource(path, realtime=False))
    except AudioFileError as e:  # libsndfile may report the damage instead of stopping early
        assert "cut.flac" in str(e)
    else:
        assert 0 < len(chunks) < 100


def test_open_source_gives_a_file_source(tmp_path: Path) -> None:
    write(tmp_path / "t.wav", 24_000, 1)
    source = open_source(str(tmp_path / "t.wav"), sample_rate_hz=16_000, chunk_ms=40, trailing_silence_ms=100)
    assert isinstance(source, FileSource) and source.sample_rate_hz == 16_000
