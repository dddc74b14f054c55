"""Emulator scenarios for a recording: what the scripted model hears and answers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import soundfile as sf

from tests.realspeech.align import align_words
from tests.realspeech.cases import clip_by_name
from tests.realspeech.corpus import RATE_HZ, Recording, Utterance, asterisk_transcripts

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
