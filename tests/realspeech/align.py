"""Word intervals of English clips by forced alignment (pocketsphinx), cached."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr

from tests.realspeech.corpus import RATE_HZ, Clip

# -- forced alignment (English) -----------------------------------------------------------


@dataclass(frozen=True)
class Word:
    word: str
    start_ms: int
    end_ms: int


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or tempfile.gettempdir()
    path = Path(base) / "translator-realspeech"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _words_for_alignment(text: str) -> str:
    words = re.sub(r"[^a-z' ]+", " ", text.lower().replace("-", " ")).split()
    return " ".join(words)


def align_words(clip: Clip) -> list[Word]:
    """Word intervals (ms from the clip's start) by pocketsphinx forced alignment, cached.

    Words the bundled dictionary lacks are left out of the transcript; an alignment that
    fails leaves an empty list (cached too, so it is not retried every run).
    """
    text = _words_for_alignment(clip.text)
    key = hashlib.sha256(clip.pcm.tobytes() + text.encode()).hexdigest()[:24]
    path = cache_dir() / f"align-{key}.json"
    if path.exists():
        return [Word(**w) for w in json.loads(path.read_text())]
    words = _align(clip.pcm, text)
    path.write_text(json.dumps([w.__dict__ for w in words]))
    return words


def _align(pcm: np.ndarray, text: str) -> list[Word]:
    from pocketsphinx import Decoder

    audio16k = np.clip(np.round(soxr.resample(pcm.astype(np.float32), RATE_HZ, 16_000)), -32768, 32767)
    decoder = Decoder(samprate=16_000, bestpath=False, loglevel="FATAL")
    known = " ".join(w for w in text.split() if decoder.lookup_word(w) is not None)
    if not known:
        return []
    try:
        decoder.set_align_text(known)
        decoder.start_utt()
        decoder.process_raw(audio16k.astype(np.int16).tobytes(), full_utt=True)
        decoder.end_utt()
    except RuntimeError:
        return []
    frame_rate = 100  # pocketsphinx frames per second
    out = []
    for seg in decoder.seg():
        if seg.word in ("<s>", "</s>", "<sil>") or seg.word.startswith("["):
            continue
        word = re.sub(r"\(\d+\)$", "", seg.word)
        out.append(Word(word, seg.start_frame * 1000 // frame_rate, (seg.end_frame + 1) * 1000 // frame_rate))
    return out
