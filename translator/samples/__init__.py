"""Bundled emulator samples: a recording and its scenario per shipped profile's languages.

``translator run PROFILE --emulator`` without ``--input`` plays the sample that speaks
the profile's source languages and has translations into every target, so a newcomer
hears each profile in its own languages. Made by ``scripts/make_samples.py`` (espeak-ng).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).parent
DEFAULT = "en-es-sample"


@dataclass(frozen=True)
class Sample:
    name: str
    audio: Path
    scenario: Path
    spoken: frozenset[str]  # languages of its utterances
    translated: frozenset[tuple[str, str]]  # (source, target) pairs it has lines for


@functools.cache
def bundled() -> tuple[Sample, ...]:
    samples = []
    for scenario in sorted(HERE.glob("*-sample.yaml")):
        data = yaml.safe_load(scenario.read_text(encoding="utf-8"))
        utterances = data.get("utterances") or []
        samples.append(
            Sample(
                scenario.stem,
                HERE / data["audio"],
                scenario,
                frozenset(u["language"] for u in utterances),
                frozenset((u["language"], t) for u in utterances for t in u.get("translations", {})),
            )
        )
    return tuple(samples)


def pick(directions: Iterable[tuple[str, str]]) -> tuple[Sample, bool]:
    """The sample for these (source, target) directions, and whether it fits them.

    It fits when every language it speaks is a source of the profile and each direction
    whose source it speaks has its lines; among those, the one covering most directions.
    No fit: the default (English/Spanish) sample, and False (the caller warns)."""
    wanted = set(directions)
    sources = {s for s, _ in wanted}
    fitting = [
        s
        for s in bundled()
        if s.spoken <= sources and all((src, tgt) in s.translated for src, tgt in wanted if src in s.spoken)
    ]
    if fitting:
        best = max(fitting, key=lambda s: (len({d for d in wanted if d[0] in s.spoken}), s.name == DEFAULT))
        return best, True
    default = next(s for s in bundled() if s.name == DEFAULT)
    return default, False
