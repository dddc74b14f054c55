from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.audio.signals import sine
from translator.audio.resample import Conditioner, Rechunker, StreamResampler, downmix, to_int16


@pytest.mark.parametrize(
    ("in_hz", "out_hz"), [(48_000, 24_000), (44_100, 24_000), (24_000, 44_100), (16_000, 24_000)]
)
def test_chunked_resampling_equals_one_pass(in_hz: int, out_hz: int) -> None:
    signal = sine(997.0, 1.0, in_hz).astype(np.float32)
    one_pass = StreamResampler(in_hz, out_hz)
    whole = np.concatenate([one_pass.process(signal), one_pass.flush()])
    chunked_rs = StreamResampler(in_hz, out_hz)
    step = in_hz // 100  # 10 ms
    pieces = [chunked_rs.process(signal[i : i + step]) for i in range(0, signal.size, step)]
    chunked = np.concatenate([*pieces, chunked_rs.flush()])
    assert chunked.size == whole.size
    assert abs(whole.size - out_hz) <= 2
    assert np.max(np.abs(chunked - whole)) < 1e-5
    # No clicks: the sample-to-sample step never exceeds what a 997 Hz sine at 0.5 can do.
    body = chunked[200:-200]
    assert np.max(np.abs(np.diff(body))) <= 0.5 * 2 * np.pi * 997 / out_hz * 1.05


def test_chunked_resampling_without_state_clicks() -> None:
    """The failure mode the stateful resampler exists for: per-chunk resampling differs from one pass."""
    signal = sine(997.0, 0.5, 48_000).astype(np.float32)
    whole = StreamResampler(48_000, 44_100).process(signal, last=True)
    restarted = np.concatenate(
        [
            StreamResampler(48_000, 44_100).process(signal[i : i + 480], last=True)
            for i in range(0, 24_000, 480)
        ]
    )
    n = min(whole.size, restarted.size)
    assert np.max(np.abs(restarted[:n] - whole[:n])) > 0.01


def test_same_rate_is_passthrough() -> None:
    x = np.linspace(-1, 1, 100, dtype=np.float32)
    assert StreamResampler(24_000, 24_000).process(x) is x


def test_downmix_averages_channels_and_scales_ints() -> None:
    stereo = np.array([[1000, 3000], [-2000, 0]], dtype=np.int16)
    assert np.allclose(downmix(stereo), [2000 / 32768, -1000 / 32768])
    assert downmix(np.array([[0.5], [0.25]], dtype=np.float64)).dtype == np.float32


def test_to_int16_clips_instead_of_wrapping() -> None:
    assert to_int16(np.array([1.5, -1.5, 0.0], dtype=np.float32)).tolist() == [32767, -32768, 0]


@given(st.lists(st.integers(0, 700), max_size=30), st.integers(1, 500))
def test_rechunker_keeps_every_sample_in_order(sizes: list[int], chunk: int) -> None:
    rechunker = Rechunker(chunk)
    total = sum(sizes)
    source = np.arange(total, dtype=np.int64).astype(np.int16)
    out, pos = [], 0
    for size in sizes:
        out += rechunker.push(source[pos : pos + size])
        pos += size
    assert all(p.size == chunk for p in out)
    out += rechunker.flush()
    joined = np.concatenate(out) if out else np.zeros(0, dtype=np.int16)
    assert np.array_equal(joined, source)


def test_conditioner_turns_stereo_48k_into_20ms_mono_chunks() -> None:
    conditioner = Conditioner(48_000, 24_000, 20)
    stereo = np.stack([sine(440, 1.0, 48_000), sine(440, 1.0, 48_000)], axis=1).astype(np.float32)
    chunks = conditioner.push(stereo) + conditioner.finish()
    assert all(c.size == 480 for c in chunks[:-1])
    assert abs(sum(c.size for c in chunks) - 24_000) <= 2


def test_invalid_rates_are_rejected() -> None:
    with pytest.raises(ValueError, match="positive"):
        StreamResampler(0, 24_000)
