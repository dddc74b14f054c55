from __future__ import annotations

import numpy as np

from translator.audio.jitter import Ducker, JitterBuffer, State, soft_clip

RATE = 1000  # 1 frame = 1 ms keeps the arithmetic readable


def block(frames: int, value: float = 0.1) -> np.ndarray:
    return np.full(frames, value, dtype=np.float32)


def read(buffer: JitterBuffer, frames: int = 10) -> tuple[np.ndarray, bool]:
    out = np.zeros(frames, dtype=np.float32)
    active = buffer.read_into(out, now_s=0.0)
    return out, active


def test_waits_for_prebuffer_then_plays_in_order() -> None:
    buffer = JitterBuffer(prebuffer_frames=100, max_frames=10_000)
    buffer.push(np.arange(1, 61, dtype=np.float32), "u1", 0.0)
    out, active = read(buffer)
    assert not active and not out.any() and buffer.state is State.BUFFERING
    buffer.push(np.arange(61, 121, dtype=np.float32), "u1", 0.0)
    out, active = read(buffer)
    assert active and out.tolist() == list(range(1, 11))
    played = np.concatenate([read(buffer)[0] for _ in range(11)])
    assert played[:110].tolist() == list(range(11, 121))
    assert buffer.underruns == 0 and buffer.lost_frames == 0


def test_short_utterance_starts_after_waiting_one_prebuffer() -> None:
    buffer = JitterBuffer(prebuffer_frames=100, max_frames=10_000)
    buffer.push(block(30), "u1", 0.0)
    waits = 0
    while not read(buffer)[1]:
        waits += 1
    assert waits == 9  # 10 ms blocks: starts once 100 ms have been waited


def test_gap_inside_an_utterance_is_an_underrun_with_lost_time() -> None:
    buffer = JitterBuffer(prebuffer_frames=20, max_frames=10_000)
    buffer.push(block(25), "u1", 0.0)
    read(buffer)
    read(buffer)
    out, _ = read(buffer)  # 5 frames of audio, then dry
    assert out[:5].all() and not out[5:].any() and buffer.state is State.STARVED
    read(buffer)
    read(buffer)  # 25 ms of silence so far
    buffer.push(block(40), "u1", 0.0)  # same utterance: it was starved
    read(buffer)  # re-buffering: 10 ms waited, 40 queued >= 20 → plays
    assert buffer.underruns == 1
    assert buffer.lost_frames == 25


def test_gap_before_a_new_utterance_is_not_an_underrun() -> None:
    buffer = JitterBuffer(prebuffer_frames=20, max_frames=10_000)
    buffer.push(block(20), "u1", 0.0)
    for _ in range(50):
        read(buffer)
    buffer.push(block(40), "u2", 0.0)
    assert read(buffer)[1]
    assert buffer.underruns == 0 and buffer.lost_frames == 0


def test_overflow_drops_the_oldest_audio() -> None:
    buffer = JitterBuffer(prebuffer_frames=0, max_frames=100)
    buffer.push(np.arange(80, dtype=np.float32), "u1", 0.0)
    buffer.push(np.arange(80, 140, dtype=np.float32), "u1", 0.0)
    assert buffer.dropped_frames == 40 and buffer.queued_frames == 100
    out, _ = read(buffer)
    assert out.tolist() == list(range(40, 50))


def test_flushing_plays_without_prebuffer() -> None:
    buffer = JitterBuffer(prebuffer_frames=1000, max_frames=10_000)
    buffer.push(block(5), "u1", 0.0)
    buffer.flushing = True
    assert read(buffer)[1] and not buffer.busy


def test_ducker_ramps_down_holds_and_ramps_back() -> None:
    ducker = Ducker(sample_rate_hz=1000, duck_db=12.0, ramp_ms=20, hold_ms=50)
    low = 10 ** (-12 / 20)
    down = ducker.gains(30, active=True)
    assert np.all(np.diff(down) <= 0) and abs(down[-1] - low) < 1e-6 and down[0] > 0.9
    assert np.allclose(ducker.gains(40, active=False), low)  # held through a short pause
    up = np.concatenate([ducker.gains(10, active=False) for _ in range(4)])
    assert np.all(np.diff(up) >= 0) and abs(up[-1] - 1.0) < 1e-6
    assert np.max(np.abs(np.diff(np.concatenate([down, up])))) < 0.05  # no steps, so no clicks


def test_soft_clip_is_identity_below_knee_and_bounded_above() -> None:
    x = np.linspace(-3, 3, 1001, dtype=np.float32)
    y = soft_clip(x)
    assert np.all(np.abs(y) <= 1.0)
    quiet = np.abs(x) <= 0.9
    assert np.array_equal(y[quiet], x[quiet])
    assert np.all(np.diff(y) >= 0)  # monotonic: no folding distortion
