"""Client-side utterance segmentation (pure, no I/O): speech probabilities in, utterances out.

Why segment on the client instead of relying on Voice Live's server VAD:

* **One segmentation for every direction.** In a paired profile both sessions hear
  the same input; if each service session cut turns on its own, the two would
  disagree at the edges and one utterance could be translated twice or not at all.
  Cutting here gives every session the same utterance ids and boundaries, and the
  arbiter picks exactly one direction per utterance.
* **Bounded lag on continuous speech.** An interpreter starts while the speaker goes
  on. Only the client can cut *in the past*: it holds back the audio where a cut may
  still fall, and none otherwise.
* **Exact resend after a reconnect.** The client knows which samples belong to an
  utterance that has not been translated yet and sends exactly those again.

The wire then uses manual turns (``turn_detection: null`` + ``commit``).

Speech comes from a detector (``vad.py``: Silero by default) as one probability per
frame, with hysteresis: a frame is speech at ``threshold`` or above, and stays speech
down to ``threshold - 0.15``. Steady noise has a low probability, so no adaptive floor
drifts up under it. The cut policy, in order:

1. **A real pause** (``silence_duration_ms`` without speech) closes the utterance.
2. **The hard limit**: when the speech itself (not the padding) reaches
   ``max_segment_ms``, the utterance is cut in the held-back audio (from ``min_cut_ms`` of
   speech on) at the longest dip of the probability below the off threshold (a dip that
   began before the held-back audio counts whole), one frame before the dip's lowest point
   (Silero lags the audio by about a frame; see ``cutpoint.py``). With no dip there yet, it
   keeps listening for one for ``_WAIT_MS`` (350 ms; its audio, padding included, never
   passes the limit by more than 1 s), and only then cuts at the least speech-like point,
   or at a pause that has begun. The speaker goes on in a new utterance that starts
   exactly at the cut (no overlap, no gap).
   An utterance whose speech is shorter than the limit is never cut.
3. **Early cuts**, only if the profile asks (``early_cut_ms``): from that much speech on, the
   longest completed dip cuts at once. Less lag, but sentences shorter than the limit split.

A short pause (shorter than ``silence_duration_ms``) does not end an utterance by default:
real speakers pause 150 to 500 ms inside sentences as often as between them, and closing
there split a quarter of the sentences shorter than the limit (``docs/vad.md``). A pause
like that is where the hard limit cuts when the speech runs on. ``min_pause_ms`` brings the
early close back (lower lag, more fragments).

An utterance opens only after ``speech_duration_ms`` of speech and never holds only
silence. Its audio includes up to ``prefix_padding_ms`` before the first speech frame
(never reaching back into the previous utterance) and after its last speech frame at most
``_TAIL_MS``, or at a pause ``_FADE_MS`` after the detector's last speech frame (which may lie
later: a soft ending at the noise floor does not count as speech but is kept).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal

import numpy as np

from translator.listen.cutpoint import best_dip, least_speech_like
from translator.listen.speech import FrameAligner, SpeechGate
from translator.listen.vad import SpeechDetector, make_detector

DetectorKind = Literal["silero", "webrtc", "energy"]

_TAIL_MS = 150  # silence kept after the last speech frame so endings are not clipped
_OVERRUN_MS = 1000  # audio an utterance may hold past the limit while a cut waits for a dip
_WAIT_MS = 350  # speech past the limit a cut waits for a dip: more breaks the ear-voice span's p95
_FLOOR_MARGIN_DB = 6.0  # a frame this close to the quietest of the last 2 s is no speech
_FADE_MS = 96
"""An utterance that ends at a pause keeps this much audio after the gate's last speech
frame, even where that audio is at the floor: a word's soft ending is as quiet as the noise
while Silero still hears it, and its probability falls through the off threshold a frame
late. Ending at the last frame above the floor (plus ``_TAIL_MS``) left 24 % of the
utterances closed at a pause at 15 dB SNR ending inside the last aligned word; 0, 32, 64 and
96 ms past the gate's speech gave 20, 15, 9 and 7 % (128 ms: 7.5 %)."""


@dataclass(frozen=True, slots=True)
class SegmentOpen:
    utterance: str
    start_ms: int
    """First speech frame on the input timeline (its audio starts up to prefix_padding_ms earlier)."""
    audio_start_ms: int
    """Where its audio starts on the input timeline."""


@dataclass(frozen=True, slots=True)
class SegmentAudio:
    utterance: str
    pcm: bytes
    """Mono int16 at the segmenter's rate."""


@dataclass(frozen=True, slots=True)
class SegmentClose:
    utterance: str
    end_ms: int
    """Just past its last speech frame."""
    cut: bool
    """True when cut at the hard limit (the speaker went on), False at a pause or end of input."""
    audio_end_ms: int
    """Where its audio ends on the input timeline (a little silence after the speech, or the cut)."""


Segment = SegmentOpen | SegmentAudio | SegmentClose


@dataclass(frozen=True, slots=True)
class Unsegmented:
    """Input audio as it comes, for sessions whose turns the service detects."""

    pcm: bytes
    """Mono int16 at 24 kHz, continuing the input timeline."""
    pause_ms: int = 0
    """How long the input has been without speech at the end of ``pcm``, by the client's
    detector (0: speaking). Lets the session end a long turn itself at a pause."""
    talk_ms: int = 0
    """How long the input has talked without a real pause (``silence_duration_ms``), at the
    end of ``pcm`` (0: in such a pause). A turn is long only if the talk began with it."""


@dataclass(frozen=True, slots=True)
class VadParams:
    threshold: float = 0.5
    prefix_padding_ms: int = 300
    silence_duration_ms: int = 500
    speech_duration_ms: int = 120
    max_segment_ms: int | None = 4000
    detector: DetectorKind = "silero"
    min_cut_ms: int = 1500
    """Speech an utterance holds before a hard cut (or a short pause, if on) may end it."""
    min_pause_ms: int | None = None
    """A short pause that ends an utterance holding ``min_cut_ms`` of speech (only with a
    limit). Off by default: at 150 ms (the old default) it split 27 of 108 real sentences
    shorter than the limit at 15 dB SNR (2 without it) and ended 12 of its 174 utterances
    inside a word; what it bought was lag (the median utterance decided 3.1 s after its
    first speech instead of 4.0 s)."""

    early_cut_ms: int | None = None
    """Lower lag for split sentences (only with a limit): once the speech reaches this, the
    utterance is cut at the longest completed dip of its held-back audio as soon as there is
    one, instead of at ``max_segment_ms``. Off by default: it cuts sentences shorter than
    the limit (``docs/vad.md``, "Early cuts")."""

    @property
    def off_threshold(self) -> float:
        """Speech goes on down to this probability (hysteresis)."""
        return max(0.05, self.threshold - 0.15)


@dataclass(slots=True)
class _Frame:
    pcm: np.ndarray
    prob: float
    speech: bool
    level: float
    """dBFS"""


class Segmenter:
    """Feed PCM with ``push``; get ``Segment`` events in order. ``finish`` at end of input."""

    def __init__(
        self,
        params: VadParams,
        sample_rate_hz: int = 24_000,
        id_prefix: str = "u",
        detector: SpeechDetector | None = None,
    ) -> None:
        self._p = params
        detector = detector or make_detector(params.detector, sample_rate_hz)
        self._frames = FrameAligner(detector, sample_rate_hz)
        fm = self._fm = self._frames.frame_ms
        self._gate = SpeechGate(params, fm)
        self._prefix = id_prefix
        self._count = 0
        self._seen = 0
        # Idle: recent frames, kept for the prefix padding.
        self._recent: deque[_Frame] = deque(
            maxlen=max(1, -(-(params.prefix_padding_ms + params.speech_duration_ms) // fm) + 1)
        )
        self._run = 0  # speech frames in a row while idle
        # In an utterance: frames not yet released, from frame index ``_pending_first`` on.
        self._open: str | None = None
        self._pending: deque[_Frame] = deque()
        self._pending_first = 0
        self._audio_start = 0
        self._first_speech = 0
        self._last_speech = 0  # index just past the last speech frame
        self._limit_at: int | None = None  # the frame at which the speech reached the limit
        self._levels: deque[float] = deque([0.0], maxlen=max(1, 2000 // fm))  # recent frame levels
        # recent probabilities, back past the start of any held-back window
        self._probs: deque[float] = deque(maxlen=((params.max_segment_ms or 0) + _OVERRUN_MS) // fm + 1)

    @property
    def position_ms(self) -> int:
        return self._seen * self._fm

    @property
    def pause_ms(self) -> int:
        """How long the input has been without speech, as of the last frame."""
        return self._gate.pause_ms

    def push(self, pcm: bytes) -> list[Segment]:
        out: list[Segment] = []
        for frame, prob in self._frames.push(pcm):
            self._step(frame, prob, out)
        return out

    def finish(self) -> list[Segment]:
        out: list[Segment] = []
        for frame, prob in self._frames.flush():
            self._step(frame, prob, out)
        if self._open is not None:
            self._close(min(self._seen, self._last_speech + _TAIL_MS // self._fm), cut=False, out=out)
        return out

    # -- the state machine -------------------------------------------------------------

    def _step(self, pcm: np.ndarray, prob: float, out: list[Segment]) -> None:
        index = self._seen
        self._seen += 1
        frame = _Frame(pcm, prob, self._gate.step(prob), _level_db(pcm))
        self._levels.append(frame.level)
        self._probs.append(prob)
        fm, p = self._fm, self._p
        if self._open is None:
            self._recent.append(frame)
            self._run = self._run + 1 if frame.speech else 0
            if self._run * fm >= max(p.speech_duration_ms, fm):
                self._start(index, out)
            return
        self._pending.append(frame)
        # The detector's verdict lingers a frame or so after the voice stops; a frame at the
        # room's noise floor is not speech, so it never lengthens the speech.
        if frame.speech and frame.level > min(self._levels) + _FLOOR_MARGIN_DB:
            self._last_speech = index + 1
        gap_ms = self._gate.pause_ms
        speech_ms = (self._last_speech - self._first_speech) * fm
        soft = (
            p.max_segment_ms is not None
            and p.min_pause_ms is not None
            and speech_ms >= p.min_cut_ms
            and gap_ms >= p.min_pause_ms
        )
        if gap_ms >= p.silence_duration_ms or soft:
            # the audio runs on through the fade of the last word: up to _FADE_MS past the
            # gate's last speech frame, however quiet (the pause is longer than that)
            fade_end = self._seen - self._gate.pause_frames + _FADE_MS // fm
            end = max(self._last_speech + min(_TAIL_MS // fm, self._gate.pause_frames), fade_end)
            self._close(end, cut=False, out=out)
            return
        if p.max_segment_ms is not None and speech_ms >= p.max_segment_ms:
            if self._limit_at is None:
                self._limit_at = index
            if self._cut(frame.speech, out):
                return
        elif p.max_segment_ms is not None and p.early_cut_ms is not None and speech_ms >= p.early_cut_ms:
            if frame.speech and self._cut(True, out, early=True):
                return
        self._release(out)

    def _start(self, index: int, out: list[Segment]) -> None:
        first_speech = index + 1 - self._run
        start = max(first_speech - self._p.prefix_padding_ms // self._fm, index + 1 - len(self._recent))
        keep = list(self._recent)[len(self._recent) - (index + 1 - start) :]
        self._open_at(start, first_speech, deque(keep), out)

    def _open_at(self, start: int, first_speech: int, frames: deque[_Frame], out: list[Segment]) -> None:
        self._count += 1
        self._open = f"{self._prefix}{self._count}"
        self._pending, self._pending_first = frames, start
        self._audio_start = start
        self._first_speech = first_speech
        self._last_speech = first_speech + 1
        self._limit_at = None
        self._recent.clear()
        self._run = 0
        # The audio includes the prefix padding; the utterance's time starts at its first speech.
        out.append(SegmentOpen(self._open, first_speech * self._fm, start * self._fm))
        self._release(out)

    def _held_from(self) -> int:
        """The first frame a hard cut may still fall on (frames before it can be sent)."""
        if self._p.max_segment_ms is None:
            return self._seen
        return max(self._first_speech + self._p.min_cut_ms // self._fm, self._first_speech + 1)

    def _release(self, out: list[Segment], upto: int | None = None) -> None:
        """Send the pending frames before ``upto`` (default: all that no cut can reach)."""
        assert self._open is not None
        upto = min(self._seen, self._held_from()) if upto is None else upto
        n = min(upto - self._pending_first, len(self._pending))
        if n <= 0:
            return
        frames = [self._pending.popleft().pcm for _ in range(n)]
        self._pending_first += n
        out.append(SegmentAudio(self._open, np.concatenate(frames).tobytes()))

    def _close(self, end: int, cut: bool, out: list[Segment]) -> None:
        """Close the open utterance just before frame ``end``; later frames go back to idle."""
        assert self._open is not None
        end = min(end, self._seen)
        self._release(out, upto=end)
        speech_end = min(self._last_speech, end)
        out.append(SegmentClose(self._open, speech_end * self._fm, cut, end * self._fm))
        self._open = None
        rest = list(self._pending)[max(0, end - self._pending_first) :]
        self._pending = deque()
        self._recent.clear()
        self._recent.extend(rest)
        self._run = 0
        for f in rest:
            self._run = self._run + 1 if f.speech else 0

    def _cut(self, speaking: bool, out: list[Segment], early: bool = False) -> bool:
        """The speech has reached the limit: cut at the longest dip of the held-back audio,
        else keep listening for one for ``_WAIT_MS`` (without letting the audio pass the limit
        plus ``_OVERRUN_MS``), and only then cut at the least speech-like point, or, if the
        wait ends in a pause, at that pause. The speech goes on in a new utterance that starts
        exactly at the cut. False: not yet. ``early``: the speech has reached ``early_cut_ms``
        only, so only a completed dip cuts (no wait, no fallback).

        Only while the gate says speech (a dip has ended when the speaker goes on): cut in a
        pause and the new utterance would inherit that pause and close on it at once, losing
        the speech that follows (a pause that lasts closes the utterance anyway)."""
        assert self._p.max_segment_ms is not None
        first = self._pending_first
        lo = max(self._held_from(), first + 1) - first
        frames = list(self._pending)
        if len(frames) <= lo:
            return False
        probs = [f.prob for f in frames[lo:]]
        limit, fm = self._p.max_segment_ms, self._fm
        hard = not early and (self._seen - self._audio_start) * fm >= limit + _OVERRUN_MS
        last = hard or (not early and (self._seen - (self._limit_at or 0)) * fm >= _WAIT_MS)
        if not (speaking or last):
            return False
        if not speaking:
            # the wait ends in a pause that has just begun: end the utterance there, as a
            # pause would, with the fade of the last word (the longest dip so far lay before
            # it, often inside an earlier word); what follows opens the next utterance
            pause = self._gate.pause_frames
            if pause * fm < _FADE_MS and not hard:
                return False
            self._close(self._seen - pause + min(pause, _FADE_MS // fm), cut=True, out=out)
            return True
        at = best_dip(probs, self._p.off_threshold, complete=not last, lead=self._low_before(first + lo))
        if at is None:
            if not last:
                return False
            at = least_speech_like(probs, [f.level for f in frames[lo:]])
        cut = first + lo + at
        rest = deque(frames[cut - first :])
        before = frames[: cut - first]
        self._last_speech = next(
            (first + k + 1 for k in range(len(before) - 1, -1, -1) if before[k].speech), cut
        )
        self._close(cut, cut=True, out=out)
        first_speech = next((cut + i for i, f in enumerate(rest) if f.speech), self._seen - 1)
        last_speech = next((cut + i + 1 for i in range(len(rest) - 1, -1, -1) if rest[i].speech), 0)
        self._open_at(cut, first_speech, rest, out)
        # the speech already heard after the cut counts, or a pause would end the new
        # utterance just past its first frame and drop the rest of that speech
        self._last_speech = max(self._last_speech, last_speech)
        return True

    def _low_before(self, index: int) -> int:
        """Frames below the off threshold in a row just before frame ``index`` (as far back as
        remembered): the part of a dip that lies before the held-back window."""
        off, n = self._p.off_threshold, 0
        k = index - 1 - (self._seen - len(self._probs))
        while 0 <= k and self._probs[k] < off:
            n += 1
            k -= 1
        return n


def _level_db(pcm: np.ndarray) -> float:
    x = pcm.astype(np.float32)
    return 10.0 * float(np.log10(float(np.dot(x, x)) / (x.size * 32768.0**2) + 1e-12))
