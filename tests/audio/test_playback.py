"""Playback through the real PortAudio path: Player plays to ``vspk``, parec records ``vspk.monitor``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import numpy as np
import pytest

from tests.audio.recording import Recorder
from tests.audio.signals import FloatArray, best_alignment, chirp, sine, to_pcm
from translator.audio import AudioChunk, AudioDeviceError, Player
from translator.events import TranslationAudio

pytestmark = pytest.mark.needs_pulse

RATE = 24_000
EN_ES = "en-US>es-ES"
ES_EN = "es-ES>en-US"


@pytest.fixture
def speaker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PULSE_SINK", "vspk")
    yield


def events(direction: str, utterance: str, samples: FloatArray, chunk_ms: int = 20) -> list[TranslationAudio]:
    step = RATE * chunk_ms // 1000
    return [
        TranslationAudio(direction, utterance, to_pcm(samples[i : i + step]), RATE)
        for i in range(0, len(samples), step)
    ]


async def paced(player: Player, items: list[TranslationAudio], chunk_ms: int = 20) -> None:
    """Push in real time, like a session receiving speech as it is generated (no drift)."""
    t0 = time.monotonic()
    for i, item in enumerate(items):
        await asyncio.sleep(max(0.0, t0 + i * chunk_ms / 1000 - time.monotonic()))
        player.push(item)


def band_level(audio: FloatArray, freq_hz: float) -> float:
    """Amplitude of the sine at ``freq_hz`` (Hann window: the peak bin is amplitude x N / 4)."""
    spectrum = 4 * np.abs(np.fft.rfft(audio * np.hanning(len(audio)))) / len(audio)
    k = int(round(freq_hz * len(audio) / RATE))
    return float(spectrum[k - 2 : k + 3].max())


async def test_burst_of_translated_speech_plays_whole_and_unchanged(speaker: None) -> None:
    player = Player.open({EN_ES: "pulse"})
    assert player is not None
    recorder = Recorder("vspk.monitor")
    try:
        await asyncio.sleep(0.2)
        signal = chirp(200, 4000, 1.5, RATE)
        for item in events(EN_ES, "u1", signal):  # the service sends faster than real time
            player.push(item)
        await player.drain(timeout_s=5)
        await asyncio.to_thread(recorder.wait_for_tail)  # the recording lags behind the sink
    finally:
        recorded = recorder.stop()
        player.close()
    lag, score = best_alignment(recorded, signal)
    assert score > 0.97, f"correlation {score:.3f}"
    loud = np.flatnonzero(np.abs(recorded) > 0.05)
    assert abs((loud[-1] - loud[0]) / RATE - 1.5) < 0.03  # same duration: nothing lost or repeated
    stats = player.stats
    assert (stats.underruns, stats.lost_ms, stats.dropped_ms) == (0, 0, 0)


async def test_real_time_stream_has_no_underruns_after_the_prebuffer(speaker: None) -> None:
    player = Player.open({EN_ES: "pulse"}, prebuffer_ms=100)
    assert player is not None
    recorder = Recorder("vspk.monitor")
    try:
        signal = chirp(300, 3000, 3.0, RATE)
        await paced(player, events(EN_ES, "u1", signal))
        await player.drain()
        await asyncio.to_thread(recorder.wait_for_tail)  # the recording lags behind the sink
    finally:
        recorded = recorder.stop()
        player.close()
    assert player.stats.underruns == 0 and player.stats.lost_ms == 0
    _, score = best_alignment(recorded, signal)
    assert score > 0.97


async def test_starved_translation_counts_underruns_but_idle_silence_does_not(speaker: None) -> None:
    player = Player.open({EN_ES: "pulse"}, prebuffer_ms=40)
    assert player is not None
    try:
        first = events(EN_ES, "u1", sine(500, 0.3, RATE))
        for item in first:
            player.push(item)
        await asyncio.sleep(0.6)  # u1 plays out, then 300 ms of idle silence
        for item in events(EN_ES, "u2", sine(500, 0.2, RATE)):
            player.push(item)
        await asyncio.sleep(0.5)
        assert player.stats.underruns == 0
        for item in events(EN_ES, "u2", sine(500, 0.1, RATE)):  # more of u2 after it ran dry
            player.push(item)
        await player.drain()
    finally:
        player.close()
    stats = player.stats
    assert stats.underruns == 1
    assert 200 <= stats.lost_ms <= 500


async def test_two_directions_on_one_device_are_mixed(speaker: None) -> None:
    player = Player.open({EN_ES: "pulse", ES_EN: "pulse"})
    assert player is not None
    recorder = Recorder("vspk.monitor")
    try:
        await asyncio.sleep(0.2)
        a, b = events(EN_ES, "a", sine(440, 1.0, RATE, 0.7)), events(ES_EN, "b", sine(1250, 1.0, RATE, 0.7))
        for x, y in zip(a, b, strict=True):
            player.push(x)
            player.push(y)
        await player.drain()
        await asyncio.to_thread(recorder.wait_for_tail)  # the recording lags behind the sink
    finally:
        recorded = recorder.stop()
        player.close()
    loud = recorded[np.abs(recorded) > 0.05]
    assert len(loud) > 0.5 * RATE
    middle = recorded[np.flatnonzero(np.abs(recorded) > 0.05)[0] :][2400:16800]
    assert band_level(middle, 440) > 0.5 and band_level(middle, 1250) > 0.5
    assert np.max(np.abs(np.diff(recorded))) < 0.4  # 0.7 + 0.7 was soft-clipped: no int16 wrap-around jumps


async def test_directions_on_separate_devices_each_get_a_stream(speaker: None) -> None:
    player = Player.open({EN_ES: "pulse", ES_EN: "default"})
    assert player is not None
    recorder = Recorder("vspk.monitor")
    try:
        await asyncio.sleep(0.2)
        for item in events(EN_ES, "a", sine(440, 0.6, RATE, 0.3)) + events(
            ES_EN, "b", sine(1250, 0.6, RATE, 0.3)
        ):
            player.push(item)
        await player.drain()
        await asyncio.to_thread(recorder.wait_for_tail)  # the recording lags behind the sink
    finally:
        recorded = recorder.stop()
        player.close()
    assert len(player.stats.devices) == 2
    start = np.flatnonzero(np.abs(recorded) > 0.05)[0]
    middle = recorded[start + 2400 : start + 12000]
    assert 0.25 < band_level(middle, 440) < 0.35 and 0.25 < band_level(middle, 1250) < 0.35


async def test_monitor_is_ducked_while_a_translation_plays(speaker: None) -> None:
    player = Player.open({EN_ES: "pulse"}, monitor="pulse", duck_db=12.0)
    assert player is not None
    recorder = Recorder("vspk.monitor")
    original = sine(300, 2.4, RATE, 0.3)
    try:
        await asyncio.sleep(0.2)
        t0 = time.monotonic()
        for i in range(0, len(original), 480):
            await asyncio.sleep(max(0.0, t0 + i / RATE - time.monotonic()))
            player.push_monitor(AudioChunk(to_pcm(original[i : i + 480]), i * 1000 // RATE), RATE)
            if i == RATE:  # one second in: a translation arrives
                for item in events(EN_ES, "u1", sine(1250, 0.6, RATE, 0.3)):
                    player.push(item)
        await player.drain()
        await asyncio.to_thread(recorder.wait_for_tail)  # the recording lags behind the sink
    finally:
        recorded = recorder.stop()
        player.close()
    start = np.flatnonzero(np.abs(recorded) > 0.05)[0]
    before = recorded[start + int(0.3 * RATE) : start + int(0.9 * RATE)]
    during = recorded[start + int(1.25 * RATE) : start + int(1.55 * RATE)]
    assert band_level(during, 1250) > 0.25
    drop_db = 20 * np.log10(band_level(during, 300) / band_level(before, 300))
    assert -14 < drop_db < -10, f"monitor lowered by {drop_db:.1f} dB"


def test_unknown_output_device_lists_the_choices() -> None:
    with pytest.raises(
        AudioDeviceError, match=r"no output device matches 'headphones'; available output .*'pulse'"
    ):
        Player.open({EN_ES: "headphones"})


async def test_unrouted_direction_is_ignored_and_close_is_idempotent(speaker: None) -> None:
    player = Player.open({EN_ES: "default"})
    assert player is not None
    player.push(TranslationAudio(ES_EN, "u", to_pcm(sine(440, 0.1, RATE)), RATE))
    await player.drain(timeout_s=1)
    player.close()
    player.close()
    assert player.stats.dropped_ms == 0
