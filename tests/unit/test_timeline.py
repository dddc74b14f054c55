"""The pure frame placement behind AvSource: output sample n sits at n / rate on the container's clock."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from translator.audio.loopback import DEFAULT_MONITOR, monitor_source
from translator.audio.timeline import Placement, Timeline

RATE = 1000  # one sample per millisecond keeps the arithmetic readable


def test_audio_that_starts_late_is_preceded_by_silence() -> None:
    t = Timeline(RATE, origin_s=0.0)
    assert t.place(2.5, 100) == Placement(2500, 0)
    assert t.place(2.6, 100) == Placement(0, 0)
    assert t.cursor == 2700 and t.gap_samples == 2500


def test_small_jitter_is_left_alone() -> None:
    t = Timeline(RATE, origin_s=0.0, tolerance_ms=20)
    t.place(0.0, 100)
    assert t.place(0.115, 100) == Placement(0, 0)  # 15 ms late
    assert t.place(0.190, 100) == Placement(0, 0)  # 10 ms early


def test_audio_before_the_origin_or_overlapping_is_dropped() -> None:
    t = Timeline(RATE, origin_s=1.0)
    assert t.place(0.9, 150) == Placement(0, 100)  # starts 100 ms before the container's start
    assert t.cursor == 50
    assert t.place(1.05, 100) == Placement(0, 0)  # follows on
    assert t.place(1.1, 100) == Placement(0, 50)  # 50 ms already covered


def test_a_live_jump_forward_past_the_limit_reanchors_instead_of_filling() -> None:
    t = Timeline(RATE, origin_s=0.0, max_gap_s=10.0)
    t.place(0.0, 1000)
    assert t.place(3.0, 1000) == Placement(2000, 0)  # a lost segment: filled
    jump = t.place(3600.0, 1000)
    assert jump.pad_samples == 0 and jump.jump_s > 3500
    assert t.place(3601.0, 100) == Placement(0, 0)  # and the stream goes on from there


def test_a_jump_backward_reanchors() -> None:
    t = Timeline(RATE, origin_s=0.0)
    t.place(0.0, 5000)
    placed = t.place(1.0, 100)  # a restarted encoder's clock
    assert placed.skip_samples == 0 and placed.jump_s < -3.9
    assert t.cursor == 5100


@given(st.lists(st.tuples(st.integers(0, 200), st.integers(1, 300)), min_size=1, max_size=40))
def test_every_frame_lands_where_its_timestamp_says(frames: list[tuple[int, int]]) -> None:
    """Frames at increasing times (gaps allowed, no overlaps): each starts at its own time, to the sample."""
    t = Timeline(RATE, origin_s=0.0, tolerance_ms=0)
    start = 0
    for gap, samples in frames:
        start += gap
        placed = t.place(start / RATE, samples)
        assert placed.skip_samples == 0
        assert t.cursor - samples == start
        start += samples


def test_loopback_names_a_sinks_monitor() -> None:
    sinks = ["alsa_output.pci-0000_00_1f.3.analog-stereo", "vspk"]
    assert monitor_source(sinks, "") == DEFAULT_MONITOR
    assert monitor_source(sinks, "vspk") == "vspk.monitor"
    assert monitor_source(sinks, "analog") == "alsa_output.pci-0000_00_1f.3.analog-stereo.monitor"
    assert monitor_source(sinks, "x.monitor") == "x.monitor"
    assert monitor_source(None, "vspk") == "vspk.monitor"
