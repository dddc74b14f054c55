from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.audio.signals import best_alignment, chirp, to_pcm
from translator.audio import AudioFileError, WavSink
from translator.events import TranslationAudio

RATE = 24_000


def tone(ms: int, value: int = 1000) -> bytes:
    return np.full(RATE * ms // 1000, value, dtype="<i2").tobytes()


def audio(
    direction: str, utterance: str, pcm: bytes, at_ms: int | None = None, rate: int = RATE
) -> TranslationAudio:
    return TranslationAudio(
        direction=direction, utterance=utterance, pcm=pcm, sample_rate_hz=rate, at_ms=at_ms
    )


def read(path: Path) -> np.ndarray:
    data, rate = soundfile.read(str(path), dtype="int16")
    assert rate == RATE
    return data


def test_utterances_are_placed_at_their_input_time(tmp_path: Path) -> None:
    sink = WavSink(tmp_path / "out.wav")
    sink.push(audio("en>es", "u1", tone(200, 1000), at_ms=500))
    sink.push(audio("en>es", "u1", tone(100, 1000)))
    sink.push(audio("en>es", "u2", tone(100, 2000), at_ms=2000))
    sink.close()
    data = read(tmp_path / "out.wav")
    assert len(data) == RATE * 2100 // 1000
    assert not data[: RATE // 2].any()
    assert (data[12_000:19_200] == 1000).all()
    assert not data[19_200:48_000].any()
    assert (data[48_000:] == 2000).all()


def test_a_late_utterance_follows_the_previous_one_without_overlap(tmp_path: Path) -> None:
    sink = WavSink(tmp_path / "out.wav")
    sink.push(audio("en>es", "u1", tone(1000, 1000), at_ms=0))
    sink.push(audio("en>es", "u2", tone(500, 2000), at_ms=600))  # u1 still running at 600 ms
    sink.close()
    data = read(tmp_path / "out.wav")
    assert len(data) == 36_000
    assert (data[:24_000] == 1000).all() and (data[24_000:] == 2000).all()


def test_interleaved_directions_are_written_one_after_the_other(tmp_path: Path) -> None:
    now = [0.0]
    sink = WavSink(tmp_path / "out.wav", clock=lambda: now[0])
    for i in range(5):  # two directions translating at the same time, chunks interleaved
        sink.push(audio("en>es", "a1", tone(100, 1000), at_ms=0 if i == 0 else None))
        sink.push(audio("es>en", "b1", tone(100, 2000), at_ms=100 if i == 0 else None))
    sink.push(audio("en>es", "a2", tone(100, 3000), at_ms=5000))  # a1 is over: b1 goes next
    sink.close()
    data = read(tmp_path / "out.wav")
    assert (data[:12_000] == 1000).all()
    assert (data[12_000:24_000] == 2000).all()
    assert not data[24_000:120_000].any()
    assert (data[120_000:] == 3000).all()


def test_an_idle_utterance_lets_the_held_one_go(tmp_path: Path) -> None:
    now = [0.0]
    sink = WavSink(tmp_path / "out.wav", clock=lambda: now[0], idle_s=1.5)
    sink.push(audio("en>es", "a1", tone(100, 1000), at_ms=0))
    sink.push(audio("es>en", "b1", tone(100, 2000), at_ms=50))
    assert sink.written_ms == 100
    now[0] = 2.0
    sink.push(audio("es>en", "b1", tone(100, 2000)))
    assert sink.written_ms == 300  # a1 went quiet for 2 s: both b1 chunks follow it
    sink.push(audio("es>en", "b1", tone(100, 2000)))
    assert sink.written_ms == 400  # b1 is now the one being written
    sink.close()
    data = read(tmp_path / "out.wav")
    assert (data[:2400] == 1000).all() and (data[2400:] == 2000).all() and len(data) == 9_600


def test_header_is_valid_while_the_file_is_still_open(tmp_path: Path) -> None:
    now = [0.0]
    sink = WavSink(tmp_path / "out.wav", clock=lambda: now[0], flush_every_s=1.0)
    sink.push(audio("en>es", "u1", tone(300), at_ms=0))
    now[0] = 1.5
    sink.push(audio("en>es", "u1", tone(300)))
    with wave.open(str(tmp_path / "out.wav")) as w:  # as a crash would leave it
        assert w.getnframes() == 14_400 and w.getframerate() == RATE and w.getsampwidth() == 2
    sink.close()
    sink.close()
    with wave.open(str(tmp_path / "out.wav")) as w:
        assert w.getnframes() == 14_400


def test_other_service_rates_are_resampled(tmp_path: Path) -> None:
    sink = WavSink(tmp_path / "out.wav")
    signal = chirp(200, 3000, 1.0, 16_000)
    for i in range(0, 16_000, 320):
        sink.push(audio("en>es", "u1", to_pcm(signal[i : i + 320]), at_ms=0, rate=16_000))
    sink.close()
    data = read(tmp_path / "out.wav").astype(np.float64) / 32768
    assert abs(len(data) - RATE) <= 2
    lag, score = best_alignment(data, chirp(200, 3000, 1.0, RATE)[1000:23000])
    assert abs(lag - 1000) <= 1 and score > 0.99


def test_unwritable_path_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError, match="cannot write audio file .*missing"):
        WavSink(tmp_path / "missing" / "out.wav")
