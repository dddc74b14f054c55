"""The emulator's pluggable "model": what it heard in a committed item, and what it says.

Two models share the :class:`Model` protocol:

- :class:`ScriptedModel` follows a :class:`~translator.emulator.scenario.Scenario`.
  It locates the committed audio inside the scenario's recording (``locate.py``), so
  it needs no per-connection counters: resent audio, cut-up speech and paired
  sessions all find the same words. The transcript is the words whose centre lies
  in the located span; the translation is the matching proportional slice of each
  utterance's translation, so consecutive segments together say every word once.
  Without scenario ``audio`` it falls back to order (k-th spoken item, k-th utterance).
- :class:`EchoModel` (no scenario) says plainly that nothing was translated and
  plays the speaker's own audio back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from translator.emulator.codec import Float32Array, resample
from translator.emulator.locate import Envelope, envelope, has_speech, locate
from translator.emulator.scenario import Scenario, ScenarioError, Utterance
from translator.emulator.voice import DEFAULT_MS_PER_CHAR, load_wav, synthesize_speech


@dataclass(frozen=True, slots=True)
class HeardPart:
    """Words ``[first, stop)`` of scenario utterance ``utterance`` (of ``total`` words)."""

    utterance: int
    first: int
    stop: int
    total: int


@dataclass(frozen=True, slots=True)
class HeardPhrase:
    """One scenario utterance's words in a committed item, timed from the item's start
    (for ``transcription.completed.phrases[]`` when the session includes them)."""

    text: str
    locale: str
    offset_ms: int
    duration_ms: int
    confidence: float


@dataclass(frozen=True, slots=True)
class Heard:
    transcript: str
    has_speech: bool
    duration_ms: int
    ordinal: int
    """This item's number among the connection's spoken items (0-based)."""
    parts: tuple[HeardPart, ...] = ()
    phrases: tuple[HeardPhrase, ...] = ()

    @property
    def utterance(self) -> int | None:
        """The utterance index that faults are keyed on (echo model: the ordinal)."""
        if self.parts:
            return self.parts[0].utterance
        return self.ordinal if self.has_speech else None


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    audio: Float32Array
    """Mono float32 at the requested output rate; empty for no speech."""
    delay_ms: int | None = None
    """Overrides the emulator's ``model_delay_ms`` when set."""


class Model(Protocol):
    def hear(self, audio: Float32Array, sample_rate_hz: int, ordinal: int) -> Heard: ...

    def read(self, text: str) -> Heard:
        """What a user *text* message says (``response.input_items`` with ``input_text``)."""
        ...

    def reply(
        self,
        heard: Heard | None,
        instructions: str,
        source: Float32Array,
        source_rate_hz: int,
        out_rate_hz: int,
    ) -> Reply: ...


def choose_language(keys: Mapping[str, str] | list[str], instructions: str) -> str | None:
    """The key whose full tag is in ``instructions``; else one whose primary subtag is a
    whole word there; else None."""
    names = list(keys)
    lowered = instructions.lower()
    for key in names:
        if key.lower() in lowered:
            return key
    for key in names:
        primary = key.split("-")[0].lower()
        if re.search(rf"(?<![\w-]){re.escape(primary)}(?![\w-])", lowered):
            return key
    return None


def _norm(word: str) -> str:
    return re.sub(r"[^\w]", "", word.casefold())


def _slice_words(text: str, first: int, stop: int, total: int) -> str:
    """Part ``first:stop`` of ``total`` of a translation: by words, or by characters for
    scripts written without spaces (Chinese, Japanese, Thai...), so every part gets its share."""
    if total <= 0 or (first == 0 and stop >= total):
        return text
    unspaced = _unspaced_script(text)
    units = _unspaced_units(text) if unspaced else text.split()
    a = round(first * len(units) / total)
    b = round(stop * len(units) / total)
    return ("".join(units[a:b]) if unspaced else " ".join(units[a:b])).strip()


def _join_words(words: list[str]) -> str:
    """Words back into text: without spaces in scripts written without them."""
    return ("" if _unspaced_script("".join(words)) else " ").join(words)


def _is_unspaced_char(ch: str) -> bool:
    code = ord(ch)
    return (
        0x3040 <= code <= 0x30FF  # Hiragana, Katakana
        or 0x3400 <= code <= 0x9FFF  # CJK ideographs
        or 0xF900 <= code <= 0xFAFF
        or 0x0E00 <= code <= 0x0EFF  # Thai, Lao
        or 0x1000 <= code <= 0x109F  # Myanmar
        or 0x1780 <= code <= 0x17FF  # Khmer
        or 0x3000 <= code <= 0x303F  # CJK punctuation
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
    )


def _unspaced_script(text: str) -> bool:
    letters = [ch for ch in text if not ch.isspace()]
    return bool(letters) and sum(_is_unspaced_char(ch) for ch in letters) * 2 > len(letters)


def _unspaced_units(text: str) -> list[str]:
    """Characters of an unspaced script, with runs of other text (a Latin name) kept whole."""
    units: list[str] = []
    for ch in text.strip():
        joins = units and not _is_unspaced_char(ch) and not _is_unspaced_char(units[-1][-1])
        if joins and not units[-1].endswith(" "):
            units[-1] += ch
        else:
            units.append(ch)
    return units


class EchoModel:
    """No scenario: placeholder text and the speaker's own audio back."""

    def hear(self, audio: Float32Array, sample_rate_hz: int, ordinal: int) -> Heard:
        duration_ms = audio.size * 1000 // max(sample_rate_hz, 1)
        spoken = has_speech(envelope(audio, sample_rate_hz))
        text = f"[emulator] utterance {ordinal + 1}, {duration_ms / 1000:.1f} s" if spoken else ""
        return Heard(text, spoken, duration_ms, ordinal)

    def read(self, text: str) -> Heard:
        return Heard(text.strip(), bool(text.strip()), 0, 0)

    def reply(
        self,
        heard: Heard | None,
        instructions: str,
        source: Float32Array,
        source_rate_hz: int,
        out_rate_hz: int,
    ) -> Reply:
        if heard is None or not heard.has_speech:
            return Reply("", np.zeros(0, np.float32))
        text = f"{heard.transcript} (not translated: the emulator has no scenario)"
        if source.size == 0:  # a text message: nothing to echo, so say it
            return Reply(text, synthesize_speech(text, out_rate_hz))
        return Reply(text, resample(source, source_rate_hz, out_rate_hz))


class ScriptedModel:
    """Follows a scenario; the source recording's envelope is computed once."""

    def __init__(self, scenario: Scenario, ms_per_char: float | None = None) -> None:
        self.scenario = scenario
        self.ms_per_char = scenario.ms_per_char or ms_per_char or DEFAULT_MS_PER_CHAR
        self._source_env: Envelope | None = None
        if scenario.audio is not None:
            try:
                self._source_env = envelope(load_wav(scenario.audio, 16_000), 16_000)
            except (RuntimeError, OSError) as e:
                raise ScenarioError(f"{scenario.audio}: cannot read the scenario recording: {e}") from e

    def hear(self, audio: Float32Array, sample_rate_hz: int, ordinal: int) -> Heard:
        duration_ms = audio.size * 1000 // max(sample_rate_hz, 1)
        env = envelope(audio, sample_rate_hz)
        spoken = has_speech(env)
        if not spoken:
            return Heard("", False, duration_ms, ordinal)
        if self._source_env is None:
            if ordinal >= len(self.scenario.utterances):
                return Heard("", True, duration_ms, ordinal)
            u = self.scenario.utterances[ordinal]
            phrase = HeardPhrase(u.transcript, u.language, 0, duration_ms, 1.0)
            return Heard(u.transcript, True, duration_ms, ordinal, (HeardPart(ordinal, 0, 1, 1),), (phrase,))
        span = locate(env, self._source_env)
        if span is None:
            return Heard("", True, duration_ms, ordinal)
        confidence = round(min(max(span.score, 0.0), 1.0), 3)
        parts: list[HeardPart] = []
        phrases: list[HeardPhrase] = []
        for index, u in enumerate(self.scenario.utterances):
            if u.words:
                inside = [j for j, w in enumerate(u.words) if span.start_ms <= w.centre_ms < span.end_ms]
                if not inside:
                    continue
                parts.append(HeardPart(index, inside[0], inside[-1] + 1, len(u.words)))
                text = _join_words([u.words[j].text for j in inside])
                start_ms, end_ms = u.words[inside[0]].start_ms, u.words[inside[-1]].end_ms
            elif span.start_ms <= (u.start_ms + u.end_ms) / 2 < span.end_ms:
                parts.append(HeardPart(index, 0, 1, 1))
                text, start_ms, end_ms = u.transcript, u.start_ms, u.end_ms
            else:
                continue
            # words cut at the item's edges count from / up to the edge
            offset_ms = max(0, start_ms - span.start_ms)
            end_offset_ms = min(duration_ms, end_ms - span.start_ms)
            duration = max(0, end_offset_ms - offset_ms)
            phrases.append(HeardPhrase(text, u.language, offset_ms, duration, confidence))
        transcript = " ".join(p.text for p in phrases)
        return Heard(transcript, True, duration_ms, ordinal, tuple(parts), tuple(phrases))

    def read(self, text: str) -> Heard:
        """Find the scenario words ``text`` repeats (a transcript this model gave, whole or
        in part): the longest run of matching words at each position, in order."""
        tokens = [t for t in (_norm(w) for w in text.split()) if t]
        vocab = [
            [_norm(w.text) for w in u.words] if u.words else [_norm(w) for w in u.transcript.split()]
            for u in self.scenario.utterances
        ]
        parts: list[HeardPart] = []
        i = 0
        while i < len(tokens):
            best = (0, 0, 0)  # run length, utterance, first word
            for index, words in enumerate(vocab):
                for j, word in enumerate(words):
                    if word != tokens[i]:
                        continue
                    run = 1
                    while (
                        i + run < len(tokens) and j + run < len(words) and words[j + run] == tokens[i + run]
                    ):
                        run += 1
                    if run > best[0]:
                        best = (run, index, j)
            run, index, first = best
            if run == 0:
                i += 1
                continue
            total = len(vocab[index])
            if parts and parts[-1].utterance == index and parts[-1].stop == first:
                parts[-1] = HeardPart(index, parts[-1].first, first + run, total)
            else:
                parts.append(HeardPart(index, first, first + run, total))
            i += run
        return Heard(text.strip(), bool(parts), 0, 0, tuple(parts))

    def _translation(self, u: Utterance, instructions: str) -> tuple[str, str | None]:
        """(text, key of translation_audio to use) for the session's target language."""
        key = choose_language(u.translations, instructions)
        if key is None and choose_language([u.language], instructions) is not None:
            return u.transcript, None  # asked to translate into the utterance's own language
        key = key or next(iter(u.translations))
        return u.translations[key], key

    def reply(
        self,
        heard: Heard | None,
        instructions: str,
        source: Float32Array,
        source_rate_hz: int,
        out_rate_hz: int,
    ) -> Reply:
        if heard is None or not heard.parts:
            return Reply("", np.zeros(0, np.float32))
        texts: list[str] = []
        clips: list[Float32Array] = []
        delays = []
        for part in heard.parts:
            u = self.scenario.utterances[part.utterance]
            full, key = self._translation(u, instructions)
            text = _slice_words(full, part.first, part.stop, part.total)
            texts.append(text)
            wav = u.translation_audio.get(key) if key else None
            if wav is not None:
                audio = load_wav(wav, out_rate_hz)
                a = audio.size * part.first // part.total
                b = audio.size * part.stop // part.total
                clips.append(audio[a:b])
            else:
                clips.append(synthesize_speech(text, out_rate_hz, self.ms_per_char))
            if u.delay_ms is not None:
                delays.append(u.delay_ms)
        text = " ".join(t for t in texts if t)
        audio = np.concatenate(clips) if clips else np.zeros(0, np.float32)
        delay = delays[0] if delays else self.scenario.model_delay_ms
        return Reply(text, audio.astype(np.float32, copy=False), delay)
