"""AvSource on real files made by ffmpeg: same samples as libsndfile, clock pacing, early close."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import numpy as np
import soundfile

from tests.audio.signals import best_alignment, chirp
from translator.audio import FileSource, open_source
from translator.audio.av_source import AvSource


def _speechlike(path: Path, seconds: float = 3.0, rate: int = 48_000) -> np.ndarray:
    tone = chirp(300, 3000, seconds, rate)
    soundfile.write(str(path), np.stack([tone, tone], axis=1), rate)
    return tone


def _encode(src: Path, out: Path, *codec: str) -> Path:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(src), *codec, str(out)], check=True
    )
    return out


async def _pcm(source: object) -> np.ndarray:
    parts = [np.frombuffer(c.pcm, dtype="<i2") async for c in source.chunks()]  # type: ignore[attr-defined]
    return np.concatenate(parts).astype(np.float32) / 32768.0


async def test_a_wav_through_ffmpeg_gives_libsndfiles_samples(tmp_path: Path) -> None:
    _speechlike(tmp_path / "a.wav")
    ours = await _pcm(AvSource(tmp_path / "a.wav", realtime=False))
    theirs = await _pcm(FileSource(tmp_path / "a.wav", realtime=False))
    assert abs(ours.size - theirs.size) <= 480  # one chunk at most
    n = min(ours.size, theirs.size)
    assert float(np.max(np.abs(ours[:n] - theirs[:n]))) < 2e-3


async def test_routing_keeps_wav_on_libsndfile_and_sends_containers_to_ffmpeg(tmp_path: Path) -> None:
    _speechlike(tmp_path / "a.wav")
    m4a = _encode(tmp_path / "a.wav", tmp_path / "a.m4a", "-c:a", "aac")
    wav_source = open_source(str(tmp_path / "a.wav"), realtime=False)
    m4a_source = open_source(str(m4a), realtime=False)
    assert isinstance(wav_source, FileSource) and isinstance(m4a_source, AvSource)
    tone = await _pcm(m4a_source)
    await wav_source.aclose()
    reference = await _pcm(FileSource(tmp_path / "a.wav", realtime=False))
    _, similarity = best_alignment(tone.astype(np.float64), reference[24_000:48_000].astype(np.float64))
    assert similarity > 0.9


async def test_real_time_pacing_follows_the_audio_clock(tmp_path: Path) -> None:
    _speechlike(tmp_path / "a.wav", seconds=2.0)
    ogg = _encode(tmp_path / "a.wav", tmp_path / "a.ogg", "-c:a", "libopus")
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    source = AvSource(ogg, realtime=True, clock=lambda: now[0], sleep=sleep)
    starts = [c.start_ms async for c in source.chunks()]
    assert starts[:3] == [0, 20, 40]
    assert abs(sum(slept) - len(starts) * 0.020) < 0.025  # chunk k handed out at t0 + its end


async def test_closing_early_stops_the_reader(tmp_path: Path) -> None:
    _speechlike(tmp_path / "a.wav", seconds=30.0)
    flac = _encode(tmp_path / "a.wav", tmp_path / "a.mka", "-c:a", "flac")
    source = AvSource(flac, realtime=False)
    got = 0
    async for _ in source.chunks():
        got += 1
        if got == 10:
            await source.aclose()
            break
    thread = source._thread
    assert thread is not None
    await asyncio.to_thread(thread.join, 10)
    assert not thread.is_alive()
