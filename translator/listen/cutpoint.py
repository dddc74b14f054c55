"""Where to cut running speech at the hard limit (pure): speech probabilities in, a frame index out.

What the figures of ``scripts/bench_segments.py`` and a look at every cut inside a word
showed (issue 11, ``docs/vad.md``):

* **Silero lags the audio by about one 32 ms frame.** Between two words its probability
  dips one frame after the acoustic gap, and a hysteresis run (below ``off``, and on
  until a frame reaches ``on`` again) ends a frame or two into the next word. The middle
  of such a run fell inside the next word; the frame *before* the run's lowest
  probability lies in the gap (on 2.5 s windows of real speech at 15 dB SNR: 6 % inside a
  word, against 10 % for the run's middle and 20 % for its lowest frame).
* **The level does not tell a gap from a closure.** Stop closures (50 to 100 ms of
  near-silence inside a word) and soft word endings are as quiet as the gaps between
  words in noise; ranking by level put 35 to 50 % of cuts inside words. The level is not
  used to place a cut.
* **Without a dip below ``off`` there is no word boundary to find.** Where the detector
  stays above it for 2.5 s, the least speech-like frame is inside a word four times in
  five. The segmenter therefore waits for a dip (up to its budget) before it falls back.
"""

from __future__ import annotations

from collections.abc import Sequence


def best_dip(probs: Sequence[float], off: float, complete: bool = True, lead: int = 0) -> int | None:
    """The cut in the longest run of probabilities below ``off`` (ties: the lowest mean),
    one frame before the run's lowest probability (the detector's lag), even where that is
    the frame before the run: a one-frame dip that begins a frame into the next word has
    its gap just before it (this no longer clamps to the run's first frame; at 15 dB SNR one
    cut in 61 moved out of a word). ``complete``: only runs that have ended (a later frame
    reaches ``off``), so a dip still going on is judged when its length is known. None: no
    dip.

    ``lead``: frames below ``off`` just before ``probs`` (audio already sent), counted in the
    length of a run that starts at the first frame; the cut stays in ``probs``. The window
    opens 1.5 s into the utterance, often inside the gap after a first sentence, and that
    gap, cut short at the window's edge, lost to a pause inside the next sentence ("At the
    sound of the tone, | the time will be exactly...": 6 frames in the window against 7 to 9
    at the comma; 10 whole). Counted whole, sentences shorter than the limit split at 15 dB
    SNR went from 5 to 2 of 108 with no cut moved into a word (``docs/vad.md``, fourth pass)."""
    best: tuple[int, float, int] | None = None  # (length, -mean, cut)
    i, n = 0, len(probs)
    while i < n:
        if probs[i] >= off:
            i += 1
            continue
        j = i
        while j < n and probs[j] < off:
            j += 1
        if j < n or not complete:
            run = probs[i:j]
            low = min(range(len(run)), key=run.__getitem__)
            score = (j - i + (lead if i == 0 else 0), -sum(run) / len(run), max(0, i + low - 1))
            if best is None or score[:2] > best[:2]:
                best = score
        i = j
    return None if best is None else best[2]


def least_speech_like(probs: Sequence[float], levels: Sequence[float]) -> int:
    """No dip below ``off``: at the deepest local minimum of the probability (a frame lower
    than its neighbours; the window's first and last frames are not minima), the frame
    boundary next to it (before, at or after it) whose quieter neighbour frame is quietest:
    a shallow minimum is too small to show the lag, and there the quieter frame is the more
    likely gap. Without any minimum, the middle of the window."""
    n = len(probs)
    minima = [k for k in range(1, n - 1) if probs[k] <= probs[k - 1] and probs[k] < probs[k + 1]]
    if not minima:
        return n // 2
    k = min(minima, key=probs.__getitem__)
    return min((c for c in (k - 1, k, k + 1) if 1 <= c < n), key=lambda c: min(levels[c - 1], levels[c]))
