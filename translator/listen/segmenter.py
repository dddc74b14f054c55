"""Client-side voice activity and utterance segmentation (pure, no I/O).

Why segment on the client instead of relying on Voice Live's server VAD:

* **One segmentation for every direction.** In a paired profile both sessions hear
  the same input; if each service session cut turns on its own, the two would
  disagree at the edges and one utterance could be translated twice or not at all.
  Cutting here gives every session the same utterance ids and boundaries, and the
  arbiter picks exactly one direction per utterance.
* **Bounded lag on continuous speech.** Speakers in a lecture rarely pause for the
  500 ms a VAD needs. When an utterance runs past ``max_segment_ms`` we cut it at
  the quietest short stretch of its last second and commit it, so translation
  starts while the speaker goes on. Only the client can cut *in the past*: it holds
  back at most the last second of audio while a cut may be near, and none otherwise.
* **Exact resend after a reconnect.** The client knows which samples belong to an
  utterance that has not been translated yet and sends exactly those again.

The wire then uses manual turns (``turn_detection: null`` + ``commit``).

The detector is an energy VAD over 10 ms frames with an adaptive noise floor: a
frame is speech when it is ``margin`` dB above the floor (``threshold`` 0.5 →
16 dB) and above an absolute floor. Speech must last ``speech_duration_ms`` to open
an utterance, which then includes ``prefix_padding_ms`` before it; ``silence_duration_ms``
of silence closes it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

FRAME_MS = 10
_ABS_FLOOR_DBFS = -58.0
_DIGITAL_SILENCE_DBFS = -85.0
"""Below this a frame is (nearly) digital zero: a video's sound starting late, a gap filled with silence."""
_TAIL_MS = 150  # silence kept after the last speech frame so endings are not clipped
_CUT_SEARCH_MS = 1000
_CUT_SMOOTH_FRAMES = 4  # the "short stretch": 40 ms


@dataclass(frozen=True, slots=True)
class SegmentOpen:
    utterance: str
    start_ms: int
    """First speech frame on the input timeline (its audio starts up to prefix_padding_ms earlier)."""


@dataclass(frozen=True, slots=True)
class SegmentAudio:
    utterance: str
    pcm: bytes
    """Mono int16 at the segmenter's rate."""


@dataclass(frozen=True, slots=True)
class SegmentClose:
    utterance: str
    end_ms: int
    cut: bool
    """True when cut for length (the speaker went on), False at a pause or end of input."""


Segment = SegmentOpen | SegmentAudio | SegmentClose


@dataclass(frozen=True, slots=True)
class Unsegmented:
    """Input audio as it comes, for sessions whose turns the service detects."""

    pcm: bytes
    """Mono int16 at 24 kHz, continuing the input timeline."""


@dataclass(frozen=True, slots=True)
class VadParams:
    threshold: float = 0.5
    prefix_padding_ms: int = 300
    silence_duration_ms: int = 500
    speech_duration_ms: int = 120
    max_segment_ms: int | None = 4000


class Segmenter:
    """Feed PCM with ``push``; get ``Segment`` events in order. ``finish`` at end of input."""

    def __init__(self, params: VadParams, sample_rate_hz: int = 24_000, id_prefix: str = "u") -> None:
        self._p = params
        self._rate = sample_rate_hz
        self._frame = sample_rate_hz * FRAME_MS // 1000
        self._prefix = id_prefix
        self._count = 0
        self._rest = np.zeros(0, dtype=np.int16)
        self._frames_seen = 0
        self._floor_db = -60.0
        self._margin_db = 8.0 + 16.0 * params.threshold
        # Idle: recent frames kept for the prefix padding, with their speech flags.
        self._recent: deque[tuple[np.ndarray, bool, float]] = deque(
            maxlen=max(1, (params.prefix_padding_ms + params.speech_duration_ms) // FRAME_MS + 1)
        )
        self._speech_run = 0
        # In speech: frames not yet released (held back near a possible cut).
        self._open: str | None = None
        self._seg_start_frame = 0
        self._pending: deque[tuple[np.ndarray, float]] = deque()
        self._pending_first_frame = 0
        self._silence_run = 0
        self._last_speech_frame = 0

    @property
    def position_ms(self) -> int:
        return self._frames_seen * FRAME_MS

    def push(self, pcm: bytes) -> list[Segment]:
        samples = np.frombuffer(pcm, dtype=np.int16)
        if self._rest.size:
            samples = np.concatenate([self._rest, samples])
        n = samples.size // self._frame
        self._rest = samples[n * self._frame :].copy()
        out: list[Segment] = []
        if n == 0:
            return out
        frames = samples[: n * self._frame].reshape(n, self._frame)
        f = frames.astype(np.float32)
        power = np.einsum("ij,ij->i", f, f) / (self._frame * 32768.0**2)
        levels = 10.0 * np.log10(power + 1e-12)
        for frame, level in zip(frames, levels.tolist(), strict=True):
            self._step(frame, level, out)
        return out

    def finish(self) -> list[Segment]:
        out: list[Segment] = []
        if self._open is not None:
            end_frame = min(self._frames_seen, self._last_speech_frame + _TAIL_MS // FRAME_MS)
            self._close(end_frame, self._last_speech_frame, cut=False, out=out)
        return out

    # -- the state machine -------------------------------------------------------------

    def _is_speech(self, level: float) -> bool:
        if level < _DIGITAL_SILENCE_DBFS:
            return False  # padding or a muted input says nothing about the room: the floor stays
        speech = level > max(self._floor_db + self._margin_db, _ABS_FLOOR_DBFS)
        if level < self._floor_db:
            self._floor_db += 0.2 * (level - self._floor_db)  # fall fast into quiet
        elif not speech:
            self._floor_db += min(0.05, level - self._floor_db)  # rise slowly with steady noise
        else:
            self._floor_db += 0.002  # creep while speaking so a noisier room is learned
        return speech

    def _step(self, frame: np.ndarray, level: float, out: list[Segment]) -> None:
        index = self._frames_seen
        self._frames_seen += 1
        speech = self._is_speech(level)
        if self._open is None:
            self._recent.append((frame, speech, level))
            self._speech_run = self._speech_run + 1 if speech else 0
            if self._speech_run * FRAME_MS >= max(self._p.speech_duration_ms, FRAME_MS):
                self._start(index, out)
            return
        self._pending.append((frame, level))
        if speech:
            self._silence_run = 0
            self._last_speech_frame = index + 1
        else:
            self._silence_run += 1
        if self._silence_run * FRAME_MS >= self._p.silence_duration_ms:
            end_frame = self._last_speech_frame + _TAIL_MS // FRAME_MS
            self._close(end_frame, self._last_speech_frame, cut=False, out=out)
            return
        limit = self._p.max_segment_ms
        if limit is not None and (self._frames_seen - self._seg_start_frame) * FRAME_MS >= limit:
            self._cut(out)
            return
        self._release(out)

    def _start(self, index: int, out: list[Segment]) -> None:
        first_speech = index + 1 - self._speech_run
        prefix_frames = self._p.prefix_padding_ms // FRAME_MS
        start_frame = max(first_speech - prefix_frames, index + 1 - len(self._recent))
        keep = list(self._recent)[len(self._recent) - (index + 1 - start_frame) :]
        # Soft onsets (a breathy first consonant) sit below the speech margin: walk back
        # over frames that are still clearly above the noise floor.
        onset = first_speech
        while onset > start_frame and keep[onset - 1 - start_frame][2] > self._floor_db + self._margin_db / 2:
            onset -= 1
        first_speech = onset
        self._count += 1
        self._open = f"{self._prefix}{self._count}"
        self._seg_start_frame = start_frame
        self._pending = deque((f, lv) for f, _, lv in keep)
        self._pending_first_frame = start_frame
        self._silence_run = 0
        self._last_speech_frame = index + 1
        self._recent.clear()
        self._speech_run = 0
        # The audio includes the prefix padding; the utterance's time starts at its first speech.
        out.append(SegmentOpen(self._open, first_speech * FRAME_MS))
        self._release(out)

    def _release(self, out: list[Segment], upto_frame: int | None = None) -> None:
        """Send pending frames, keeping back the last second while a cut may come."""
        assert self._open is not None
        if upto_frame is None:
            upto_frame = self._frames_seen
            limit = self._p.max_segment_ms
            if limit is not None:
                cut_window_opens = self._seg_start_frame + (limit - _CUT_SEARCH_MS) // FRAME_MS
                upto_frame = min(
                    upto_frame, max(cut_window_opens, self._frames_seen - _CUT_SEARCH_MS // FRAME_MS)
                )
        n = upto_frame - self._pending_first_frame
        if n <= 0:
            return
        frames = [self._pending.popleft()[0] for _ in range(min(n, len(self._pending)))]
        self._pending_first_frame += len(frames)
        out.append(SegmentAudio(self._open, np.concatenate(frames).tobytes()))

    def _close(self, end_frame: int, speech_end_frame: int, cut: bool, out: list[Segment]) -> None:
        assert self._open is not None
        end_frame = min(end_frame, self._frames_seen)
        self._release(out, upto_frame=end_frame)
        out.append(SegmentClose(self._open, speech_end_frame * FRAME_MS, cut))
        self._open = None
        self._pending.clear()
        self._silence_run = 0
        self._recent.clear()
        self._speech_run = 0

    def _cut(self, out: list[Segment]) -> None:
        """Close at the quietest 40 ms of the last second; the speech goes on in a new utterance."""
        levels = np.array([lv for _, lv in self._pending], dtype=np.float32)
        first = self._pending_first_frame
        lo = max(
            0, self._frames_seen - _CUT_SEARCH_MS // FRAME_MS - first, self._seg_start_frame + 100 - first
        )
        window = levels[lo:]
        if window.size >= _CUT_SMOOTH_FRAMES:
            smooth = np.convolve(window, np.ones(_CUT_SMOOTH_FRAMES) / _CUT_SMOOTH_FRAMES, mode="valid")
            cut_frame = first + lo + int(np.argmin(smooth)) + _CUT_SMOOTH_FRAMES // 2
        else:
            cut_frame = self._frames_seen
        rest = list(self._pending)[cut_frame - first :]
        self._close(cut_frame, cut_frame, cut=True, out=out)
        # The speaker goes on: a new utterance starts exactly at the cut, no padding, no overlap.
        self._count += 1
        self._open = f"{self._prefix}{self._count}"
        self._seg_start_frame = cut_frame
        self._pending = deque(rest)
        self._pending_first_frame = cut_frame
        self._last_speech_frame = self._frames_seen
        out.append(SegmentOpen(self._open, cut_frame * FRAME_MS))
        self._release(out)
