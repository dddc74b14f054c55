"""A corpus of REAL recorded speech with known text, and the hard cases built from it.

Sources (Debian packages, installed by ``scripts/test.sh``):

* ``asterisk-core-sounds-{en,es,fr}-wav``: telephone prompts (8 kHz, one professional
  voice per language) under ``/usr/share/asterisk/sounds/{en,es,fr}/``; their text is in
  ``core-sounds-{en,es,fr}.txt.gz`` of ``asterisk-core-sounds-{en,es,fr}`` (doc folder).
* ``pocketsphinx-testdata``: five LibriVox clips of *Sense and Sensibility* (16 kHz, a
  real reader in a real room) with a transcription file.

Everything is resampled to the pipeline's 24 kHz mono int16. Hard cases are built in
code: clips joined with 50 to 200 ms gaps (continuous speech), languages alternating,
pink / babble / music-like noise mixed at an SNR measured over the *speech* frames, and
input gain. Ground truth comes from the clean signal:

* **Speech frames** (:func:`reference_speech`): 10 ms frames of the clean recording whose
  level is above the clip's own silence. Each clip's floor is its 5th-percentile frame
  level; a frame is speech when it is 20 dB above that floor and within 50 dB of the
  clip's loudest frame; gaps under 120 ms inside speech are filled (stop closures are
  part of a word) and runs under 30 ms dropped. Energy on the *clean* clip is reliable:
  the clips are close-miked with a quiet background, which is what the noise then spoils.
* **Word intervals** (English only, :func:`align_words`): forced alignment of the
  transcript with ``pocketsphinx`` (PyPI, bundled US English model), cached under
  ``$XDG_CACHE_HOME/translator-realspeech`` (or the temp folder) keyed by a hash of
  the audio and the text.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

RATE_HZ = 24_000
FRAME_MS = 10
_FRAME = RATE_HZ * FRAME_MS // 1000

ASTERISK_SOUNDS = Path("/usr/share/asterisk/sounds")
ASTERISK_DOCS = Path("/usr/share/doc")
LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
DEBIAN_PACKAGES = (
    "asterisk-core-sounds-en",
    "asterisk-core-sounds-en-wav",
    "asterisk-core-sounds-es",
    "asterisk-core-sounds-es-wav",
    "asterisk-core-sounds-fr",
    "asterisk-core-sounds-fr-wav",
    "pocketsphinx-testdata",
)


@dataclass(frozen=True)
class Clip:
    name: str
    language: str
    """BCP-47 primary tag: en, es or fr."""
    text: str
    pcm: np.ndarray = field(repr=False)
    """Mono int16 at 24 kHz."""

    @property
    def duration_ms(self) -> int:
        return len(self.pcm) * 1000 // RATE_HZ


@dataclass(frozen=True)
class Utterance:
    text: str
    language: str
    start_ms: int
    """First reference speech frame on the recording's timeline."""
    end_ms: int
    """End of the last reference speech frame."""
    clip: str
    clip_start_ms: int
    """Where the clip's first sample lies on the recording's timeline."""


@dataclass(frozen=True)
class Recording:
    pcm: np.ndarray = field(repr=False)
    """Mono int16 at 24 kHz (after noise and gain, when applied)."""
    clean: np.ndarray = field(repr=False)
    """The speech alone, before noise and gain (same length)."""
    utterances: tuple[Utterance, ...]
    speech: np.ndarray = field(repr=False)
    """Reference speech flags, one per 10 ms frame of ``pcm``."""

    @property
    def duration_ms(self) -> int:
        return len(self.pcm) * 1000 // RATE_HZ


def missing() -> str | None:
    """Why the corpus cannot be used here (a missing package), or None."""
    needs = [
        LIBRIVOX / "transcription",
        *(ASTERISK_SOUNDS / lang / "agent-pass.wav" for lang in ("en", "es", "fr")),
        *(_transcript_path(lang) for lang in ("en", "es", "fr")),
    ]
    absent = [str(p) for p in needs if not p.exists()]
    if not absent:
        return None
    return f"real-speech corpus incomplete (install {' '.join(DEBIAN_PACKAGES)}): {absent[0]}"


def _transcript_path(language: str) -> Path:
    return ASTERISK_DOCS / f"asterisk-core-sounds-{language}" / f"core-sounds-{language}.txt.gz"


# -- loading ------------------------------------------------------------------------------


def _to_24k(path: Path) -> np.ndarray:
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    mono = data.mean(axis=1)
    if rate != RATE_HZ:
        mono = soxr.resample(mono, rate, RATE_HZ)
    return np.clip(np.round(mono * 32767.0), -32768, 32767).astype(np.int16)


@functools.cache
def asterisk_transcripts(language: str) -> dict[str, str]:
    """Prompt name (path under the language folder, without .wav) -> text, for spoken prompts."""
    path = _transcript_path(language)
    out: dict[str, str] = {}
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith(";") or ":" not in line:
                continue
            name, text = line.split(":", 1)
            text = text.strip()
            if not text or text.startswith("[") or not re.search(r"\w", text):
                continue  # tones and effects
            out[name.strip()] = text
    return out


@functools.cache
def asterisk_clip(language: str, name: str) -> Clip:
    text = asterisk_transcripts(language)[name]
    pcm = _to_24k(ASTERISK_SOUNDS / language / f"{name}.wav")
    return Clip(f"asterisk/{language}/{name}", language, text, pcm)


def asterisk_clips(language: str, min_words: int = 1) -> list[Clip]:
    """Every prompt of ``language`` whose wav exists and whose text has ``min_words`` words, by name."""
    out = []
    for name, text in sorted(asterisk_transcripts(language).items()):
        if len(text.split()) >= min_words and (ASTERISK_SOUNDS / language / f"{name}.wav").exists():
            out.append(asterisk_clip(language, name))
    return out


@functools.cache
def librivox_clips() -> tuple[Clip, ...]:
    """The five LibriVox clips (English, one reader), in file order."""
    out = []
    for line in (LIBRIVOX / "transcription").read_text().splitlines():
        m = re.match(r"<s>\s*(.*?)\s*</s>\s*\((\S+)\)", line.strip())
        if m:
            name = m.group(2)
            out.append(Clip(f"librivox/{name}", "en", m.group(1), _to_24k(LIBRIVOX / f"{name}.wav")))
    return tuple(out)


# -- reference speech ---------------------------------------------------------------------


def frame_levels_db(pcm: np.ndarray) -> np.ndarray:
    n = len(pcm) // _FRAME
    f = pcm[: n * _FRAME].astype(np.float64).reshape(n, _FRAME) / 32768.0
    return np.asarray(10.0 * np.log10((f * f).mean(axis=1) + 1e-12))


def _fill(flags: np.ndarray, value: bool, shorter_than: int, inner_only: bool) -> np.ndarray:
    flags = flags.copy()
    edges = np.flatnonzero(np.diff(flags.astype(np.int8))) + 1
    starts = np.concatenate([[0], edges]).astype(int)
    ends = np.concatenate([edges, [flags.size]]).astype(int)
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        if flags.size and bool(flags[a]) == value and b - a < shorter_than:
            if not (inner_only and (a == 0 or b == flags.size)):
                flags[a:b] = not value
    return flags


def reference_speech(clean: np.ndarray) -> np.ndarray:
    """Speech flags per 10 ms frame of one clean clip (see the module docstring)."""
    levels = frame_levels_db(clean)
    if not levels.size:
        return np.zeros(0, dtype=bool)
    floor = max(float(np.percentile(levels, 5)), -90.0)
    flags = (levels > floor + 20.0) & (levels > levels.max() - 50.0)
    flags = _fill(flags, value=False, shorter_than=12, inner_only=True)
    return _fill(flags, value=True, shorter_than=3, inner_only=False)


# -- building hard cases -----------------------------------------------------------------


_CLIPS: dict[str, Clip] = {}


def clip_by_name(name: str) -> Clip:
    """A clip that :func:`join` has used, by its name."""
    return _CLIPS[name]


def join(clips: Sequence[Clip], gaps_ms: Sequence[int], lead_ms: int = 500, tail_ms: int = 700) -> Recording:
    """Clips one after another with ``gaps_ms[i]`` of digital silence after clip i (cycled)."""
    parts: list[np.ndarray] = [np.zeros(lead_ms * RATE_HZ // 1000, dtype=np.int16)]
    flags: list[np.ndarray] = [np.zeros(lead_ms // FRAME_MS, dtype=bool)]
    utts: list[Utterance] = []
    at_ms = lead_ms
    for i, clip in enumerate(clips):
        _CLIPS[clip.name] = clip
        # Whole 10 ms frames per clip keep the reference aligned with the audio.
        pcm = clip.pcm[: len(clip.pcm) // _FRAME * _FRAME]
        ref = reference_speech(pcm)
        on = np.flatnonzero(ref)
        first_ms, last_ms = (int(on[0]) * FRAME_MS, int(on[-1] + 1) * FRAME_MS) if on.size else (0, 0)
        utts.append(Utterance(clip.text, clip.language, at_ms + first_ms, at_ms + last_ms, clip.name, at_ms))
        gap_ms = gaps_ms[i % len(gaps_ms)] if i < len(clips) - 1 else tail_ms
        gap_ms -= gap_ms % FRAME_MS
        parts += [pcm, np.zeros(gap_ms * RATE_HZ // 1000, dtype=np.int16)]
        flags += [ref, np.zeros(gap_ms // FRAME_MS, dtype=bool)]
        at_ms += len(pcm) * 1000 // RATE_HZ + gap_ms
    pcm = np.concatenate(parts)
    return Recording(pcm, pcm.copy(), tuple(utts), np.concatenate(flags))


def pink_noise(n: int, seed: int = 0) -> np.ndarray:
    """1/f noise (Voss-McCartney through an FFT shaping), float64 at unit RMS."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / RATE_HZ)
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0.0
    x = np.fft.irfft(spectrum, n)
    return np.asarray(x / (np.sqrt(np.mean(x * x)) + 1e-12))


def babble_noise(n: int, seed: int = 0, voices: int = 6) -> np.ndarray:
    """Several other speakers at once: asterisk prompts in three languages summed, unit RMS."""
    rng = np.random.default_rng(seed)
    pool = [c for lang in ("en", "es", "fr") for c in asterisk_clips(lang, min_words=4)]
    out = np.zeros(n)
    for _ in range(voices):
        track: list[np.ndarray] = []
        total = 0
        while total < n:
            pcm = pool[int(rng.integers(len(pool)))].pcm.astype(np.float64)
            track.append(pcm)
            total += len(pcm)
        seq = np.concatenate(track)
        start = int(rng.integers(0, max(1, len(seq) - n)))
        out += seq[start : start + n] if len(seq) - start >= n else np.resize(seq, n)
    return np.asarray(out / (np.sqrt(np.mean(out * out)) + 1e-12))


def music_noise(n: int, seed: int = 0) -> np.ndarray:
    """Music-like: chords of harmonic tones changing every 0.5 to 1 s, with a soft attack, unit RMS."""
    rng = np.random.default_rng(seed)
    out = np.zeros(n)
    at = 0
    while at < n:
        length = min(n - at, int(rng.integers(RATE_HZ // 2, RATE_HZ)))
        t = np.arange(length) / RATE_HZ
        root = 110.0 * 2 ** (int(rng.integers(0, 24)) / 12)
        chord = np.zeros(length)
        for step in (0, 4, 7, 12):
            f0 = root * 2 ** (step / 12)
            for h in range(1, 5):
                if f0 * h < RATE_HZ / 2:
                    chord += np.sin(2 * np.pi * f0 * h * t + rng.uniform(0, 2 * np.pi)) / h
        envelope = np.minimum(1.0, t / 0.03) * np.exp(-t * 1.5)
        out[at : at + length] = chord * envelope
        at += length
    return np.asarray(out / (np.sqrt(np.mean(out * out)) + 1e-12))


NOISES = {"pink": pink_noise, "babble": babble_noise, "music": music_noise}


def speech_rms(rec: Recording) -> float:
    """RMS of the clean signal over its reference speech frames."""
    n = min(len(rec.speech), len(rec.clean) // _FRAME)
    frames = rec.clean[: n * _FRAME].astype(np.float64).reshape(n, _FRAME)[rec.speech[:n]]
    return float(np.sqrt(np.mean(frames * frames))) if frames.size else 0.0


def degrade(
    rec: Recording, noise: str | None, snr_db: float, gain_db: float = 0.0, seed: int = 0
) -> Recording:
    """Mix ``noise`` so that speech RMS over speech frames / noise RMS = ``snr_db``, then apply gain."""
    x = rec.clean.astype(np.float64)
    if noise is not None:
        n = NOISES[noise](len(x), seed)
        x = x + n * speech_rms(rec) / 10 ** (snr_db / 20)
    x *= 10 ** (gain_db / 20)
    pcm = np.clip(np.round(x), -32768, 32767).astype(np.int16)
    return Recording(pcm, rec.clean, rec.utterances, rec.speech)


def apply_gain(pcm: np.ndarray, gain_db: float) -> np.ndarray:
    x = pcm.astype(np.float64) * 10 ** (gain_db / 20)
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def _gaps(count: int, seed: int, lo_ms: int = 50, hi_ms: int = 200) -> list[int]:
    rng = np.random.default_rng(seed)
    return [int(g) for g in rng.integers(lo_ms, hi_ms + 1, size=count)]


MAX_SENTENCE_MS = 8000
"""Longer prompts (menus read out, 17 to 31 s) are left out of the joined recordings."""


def sentences(language: str, min_words: int = 5) -> list[Clip]:
    """Asterisk prompts of ``language`` with ``min_words`` words and at most 8 s long."""
    return [c for c in asterisk_clips(language, min_words) if c.duration_ms <= MAX_SENTENCE_MS]


def english_pool() -> list[Clip]:
    """Every English sentence clip: LibriVox first, then asterisk prompts (5+ words, at most 8 s)."""
    return [*librivox_clips(), *sentences("en")]


def continuous_english(min_s: float = 70.0, seed: int = 0) -> Recording:
    """English clips joined with 50 to 200 ms gaps until at least ``min_s`` of audio."""
    pool = english_pool()
    chosen: list[Clip] = []
    total_ms = 0
    i = 0
    while total_ms < min_s * 1000:
        clip = pool[i % len(pool)]
        chosen.append(clip)
        total_ms += clip.duration_ms + 125
        i += 1
    return join(chosen, _gaps(len(chosen), seed))


def continuous_40s(seed: int = 0) -> Recording:
    """About 40 s: sentences of 2.4 to 3.7 s (asterisk English prompts) joined by 150 to 200 ms."""
    pool = [c for c in asterisk_clips("en", min_words=4) if 2400 <= c.duration_ms <= 3700]
    chosen: list[Clip] = []
    total_ms = 0
    for clip in pool:
        if total_ms >= 40_000:
            break
        chosen.append(clip)
        total_ms += clip.duration_ms + 175
    return join(chosen, _gaps(len(chosen), seed, 150, 200))


def with_pauses(rec: Recording, every: int = 4, pause_ms: int = 2500, seed: int = 0) -> Recording:
    """The same sentences, with a ``pause_ms`` pause after every ``every``-th one and 2 s
    of lead and tail (the rest 50 to 200 ms): a speaker who stops now and then, so a
    detector's false speech in noise can be measured."""
    clips = [clip_by_name(u.clip) for u in rec.utterances]
    gaps = [pause_ms if i % every == every - 1 else g for i, g in enumerate(_gaps(len(clips), seed))]
    return join(clips, gaps, lead_ms=pause_ms, tail_ms=pause_ms)


def alternating(languages: Sequence[str] = ("en", "es"), count: int = 12, seed: int = 0) -> Recording:
    """Sentences (5+ words) alternating between ``languages``, 50 to 200 ms apart."""
    pools = {lang: sentences(lang) for lang in languages}
    rng = np.random.default_rng(seed)
    chosen = []
    for i in range(count):
        pool = pools[languages[i % len(languages)]]
        chosen.append(pool[int(rng.integers(len(pool)))])
    return join(chosen, _gaps(count, seed))


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


# -- scoring a detector -------------------------------------------------------------------

NONSPEECH_COLLAR_MS = 300
"""Non-speech frames closer than this to reference speech are not scored: the pauses
between words and the 50 to 200 ms joins are "don't care" for a frame-level score."""


def to_10ms(flags: np.ndarray, frame_ms: int, n_frames: int) -> np.ndarray:
    """Detector flags at its own hop -> one flag per 10 ms frame (the frame holding its centre)."""
    centres_ms = np.arange(n_frames) * FRAME_MS + FRAME_MS // 2
    idx = centres_ms // frame_ms
    out = np.zeros(n_frames, dtype=bool)
    ok = idx < len(flags)
    out[ok] = np.asarray(flags, dtype=bool)[idx[ok]]
    return out


def scored_nonspeech(speech: np.ndarray, collar_ms: int = NONSPEECH_COLLAR_MS) -> np.ndarray:
    """Non-speech frames farther than ``collar_ms`` from any reference speech frame."""
    k = collar_ms // FRAME_MS
    near = np.convolve(speech.astype(np.int32), np.ones(2 * k + 1, dtype=np.int32), mode="same") > 0
    return ~near


@dataclass(frozen=True)
class FrameScore:
    missed_pct: float
    """Reference speech frames judged non-speech, % of reference speech."""
    false_pct: float
    """Scored non-speech frames judged speech, % of scored non-speech."""


def frame_score(flags_10ms: np.ndarray, speech: np.ndarray) -> FrameScore:
    n = min(len(flags_10ms), len(speech))
    f, s = np.asarray(flags_10ms[:n], dtype=bool), speech[:n]
    quiet = scored_nonspeech(s)
    missed = float((~f[s]).mean() * 100) if s.any() else 0.0
    false = float(f[quiet].mean() * 100) if quiet.any() else 0.0
    return FrameScore(round(missed, 2), round(false, 2))


def recording_words(rec: Recording) -> list[Word]:
    """Aligned words of every English utterance, on the recording's timeline, in order."""
    out: list[Word] = []
    for u in rec.utterances:
        if u.language != "en":
            continue
        for w in align_words(clip_by_name(u.clip)):
            out.append(Word(w.word, u.clip_start_ms + w.start_ms, u.clip_start_ms + w.end_ms))
    return out


def inside_word(words: Sequence[Word], cut_ms: float, margin_ms: int = 30) -> Word | None:
    """The word a cut at ``cut_ms`` falls inside (more than ``margin_ms`` from both its edges).

    The margin absorbs the aligner's 10 ms frames and a word's soft edges: a cut in the
    first or last 30 ms of a word is at its boundary."""
    for w in words:
        if w.start_ms + margin_ms < cut_ms < w.end_ms - margin_ms:
            return w
    return None


# -- emulator scenarios --------------------------------------------------------------------

LANGUAGE_TAGS = {"en": "en-US", "es": "es-ES", "fr": "fr-FR"}


def _translation(u: Utterance, target: str) -> str:
    """The same asterisk prompt's text in the target language (a real translation), if any;
    else the source text marked with the target tag."""
    lang = target.split("-")[0]
    kind, _, name = u.clip.partition("/")
    if kind == "asterisk":
        other = asterisk_transcripts(lang).get(name.partition("/")[2]) if lang in ("en", "es", "fr") else None
        if other:
            return other
    return f"[{target}] {u.text}"


def write_scenario(
    rec: Recording,
    wav_path: Path,
    targets: Sequence[str] = ("es-ES", "en-US"),
    model_delay_ms: int | None = None,
    with_words: bool = True,
) -> dict[str, object]:
    """Write ``rec.pcm`` to ``wav_path`` and its emulator scenario beside it (same stem, .yaml).

    Each utterance carries its text, language tag and reference time span; English ones
    also their aligned words (``with_words``), so the emulator's locator can say which
    words a committed span holds. Returns the scenario as a dict."""
    sf.write(str(wav_path), rec.pcm, RATE_HZ, subtype="PCM_16")
    utterances: list[dict[str, object]] = []
    for u in rec.utterances:
        tag = LANGUAGE_TAGS[u.language]
        entry: dict[str, object] = {
            "language": tag,
            "start_ms": u.start_ms,
            "end_ms": u.end_ms,
            "transcript": u.text,
            "translations": {t: _translation(u, t) for t in targets if t != tag} or {targets[0]: u.text},
        }
        if with_words and u.language == "en":
            at = u.clip_start_ms
            aligned = align_words(clip_by_name(u.clip))
            if aligned:
                entry["words"] = [[w.word, at + w.start_ms, at + w.end_ms] for w in aligned]
        utterances.append(entry)
    scenario: dict[str, object] = {"audio": wav_path.name, "utterances": utterances}
    if model_delay_ms is not None:
        scenario["model_delay_ms"] = model_delay_ms
    import yaml

    wav_path.with_suffix(".yaml").write_text(
        yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False, default_flow_style=None, width=120),
        encoding="utf-8",
    )
    return scenario


# -- judging utterances --------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """The audio sent for one utterance, on the recording's timeline."""

    start_ms: int
    end_ms: int
    cut: bool
    """Closed for length (the speaker went on), not at a pause or the end of input."""


def segmenter_spans(events: Sequence[object], pcm: np.ndarray) -> list[Span]:
    """Spans of the audio a ``listen.segmenter.Segmenter`` sent, from its events
    (``SegmentOpen.audio_start_ms`` and ``SegmentClose.audio_end_ms``). ``pcm`` is the
    input, kept for callers that check the audio against it."""
    from translator.listen.segmenter import SegmentClose, SegmentOpen

    spans: list[Span] = []
    start_ms = 0
    for e in events:
        if isinstance(e, SegmentOpen):
            start_ms = e.audio_start_ms
        elif isinstance(e, SegmentClose):
            spans.append(Span(start_ms, e.audio_end_ms, e.cut))
    return spans


def speech_lost_pct(spans: Sequence[Span], speech: np.ndarray) -> float:
    """Reference speech frames outside every span, % of reference speech."""
    covered = np.zeros(len(speech), dtype=bool)
    for s in spans:
        covered[s.start_ms // FRAME_MS : -(-s.end_ms // FRAME_MS)] = True
    total = int(speech.sum())
    return round(100 * int((speech & ~covered).sum()) / total, 2) if total else 0.0


def silence_only(spans: Sequence[Span], speech: np.ndarray) -> list[Span]:
    """Spans that hold no reference speech frame."""
    return [s for s in spans if not speech[s.start_ms // FRAME_MS : -(-s.end_ms // FRAME_MS)].any()]


def cuts_inside_words(spans: Sequence[Span], rec: Recording, words: Sequence[Word]) -> tuple[int, int]:
    """(length cuts judged, of them inside a word). A cut within a non-English utterance is
    not judged (no word timings); one in a pause between sentences is judged, and is not
    inside a word."""
    foreign = [u for u in rec.utterances if u.language != "en"]
    judged = inside = 0
    for s in spans:
        if not s.cut:
            continue
        if any(u.start_ms <= s.end_ms <= u.end_ms for u in foreign):
            continue
        judged += 1
        inside += inside_word(words, s.end_ms) is not None
    return judged, inside
