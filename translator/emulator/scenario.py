"""Scenario files: what the scripted model hears and says, and which faults to inject.

A scenario (YAML or JSON; ``speechgen.py`` writes them) looks like::

    audio: en-es-sample.wav        # optional source recording, relative to this file
    ordering: cascaded             # optional: cascaded | realtime
    model_delay_ms: 300            # optional: before the first response delta
    ms_per_char: 65                # optional: synthesized speech rate
    utterances:
      - language: en-US
        start_ms: 600
        end_ms: 4558
        transcript: "Good morning, everyone."
        translations: {es-ES: "Buenos días a todos."}
        translation_audio: {es-ES: good-morning-es.wav}     # optional
        words: [[Good, 600, 885], ["morning,", 975, 1469]]  # optional
        delay_ms: 500                                       # optional, overrides model_delay_ms
    faults:
      - {kind: close_1011_mid_response, utterance: 1}
      - {kind: error_event, utterance: 2, code: server_error, ends_response: true}
      - {kind: warning_event, utterance: 0, code: audio_quality}
      - {kind: oversized_frame, utterance: 3}
      - {kind: http_429_first_n, count: 2}
      - {kind: http_403_first_n, count: 1}      # also http_404_first_n
      - {kind: http_5xx_first_n, count: 1, status: 502}
      - {kind: max_sessions_per_key, count: 2}
      - {kind: expire_after_s, seconds: 30}
      - {kind: no_pong, connection: 0}
      - {kind: stall, connection: 0, seconds: 5}
      - {kind: unknown_events}

:func:`load_scenario` raises :class:`ScenarioError` with one line naming the file and
the field (``scenario.yaml: utterances[1].words[0]: ...``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pydantic
import yaml

from translator.emulator.faults import (
    CONNECTION_FAULT_KINDS,
    UTTERANCE_FAULT_KINDS,
    FaultPlan,
    UtteranceFault,
)
from translator.emulator.hostile import HOSTILE_KINDS
from translator.errors import TranslatorError


class ScenarioError(TranslatorError, ValueError):
    """A scenario file is missing, unreadable or invalid. The message is one line.

    Part of the project's error tree (the CLI prints it and exits 2); still a
    ``ValueError`` for callers that catch bad input that way.
    """

    exit_status = 2


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    start_ms: int
    end_ms: int

    @property
    def centre_ms(self) -> float:
        return (self.start_ms + self.end_ms) / 2


@dataclass(frozen=True, slots=True)
class Utterance:
    language: str
    start_ms: int
    end_ms: int
    transcript: str
    translations: Mapping[str, str]
    translation_audio: Mapping[str, Path]
    words: tuple[Word, ...]
    delay_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    utterances: tuple[Utterance, ...]
    audio: Path | None = None
    ordering: Literal["cascaded", "realtime"] | None = None
    model_delay_ms: int | None = None
    ms_per_char: float | None = None
    faults: tuple[dict[str, Any], ...] = ()

    def fault_plan(self) -> FaultPlan:
        """The scenario's faults as a fresh plan (validated at load time)."""
        plan = FaultPlan()
        for raw in self.faults:
            kind = raw["kind"]
            if kind in ("http_403_first_n", "http_404_first_n", "http_429_first_n"):
                setattr(plan, kind, int(raw.get("count", 1)))
            elif kind == "http_5xx_first_n":
                plan.http_5xx_first_n = int(raw.get("count", 1))
                plan.http_5xx_status = int(raw.get("status", 503))
            elif kind == "max_sessions_per_key":
                plan.max_sessions_per_key = int(raw["count"])
            elif kind == "expire_after_s":
                plan.expire_after_s = float(raw["seconds"])
            elif kind == "no_pong":
                plan.no_pong_connections.add(int(raw.get("connection", 0)))
            elif kind == "stall":
                plan.stall_connections[int(raw.get("connection", 0))] = float(raw.get("seconds", 5.0))
            elif kind == "unknown_events":
                plan.unknown_events = True
            elif kind == "event_latency":
                plan.event_latency_s = float(raw.get("seconds", 1.0))
            elif kind in HOSTILE_KINDS:
                plan.hostile.apply(raw)
            else:
                details = {
                    k: v for k, v in raw.items() if k in ("code", "reason", "seconds", "ends_response")
                }
                plan.utterance_faults.append(UtteranceFault(kind, int(raw["utterance"]), **details))
        return plan


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", strict=False)


class _FaultModel(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    kind: str
    utterance: int | None = pydantic.Field(default=None, ge=0)
    connection: int | None = pydantic.Field(default=None, ge=0)
    count: int | None = pydantic.Field(default=None, ge=0)
    seconds: float | None = pydantic.Field(default=None, ge=0)
    code: str | None = None
    reason: str | None = None
    status: int | None = pydantic.Field(default=None, ge=500, le=599)
    ends_response: bool | None = None
    frames: list[str] | None = None

    @pydantic.model_validator(mode="after")
    def _check(self) -> _FaultModel:
        kinds = UTTERANCE_FAULT_KINDS | CONNECTION_FAULT_KINDS | HOSTILE_KINDS
        if self.kind not in kinds:
            allowed = ", ".join(sorted(kinds))
            raise ValueError(f"unknown fault kind {self.kind!r} (allowed: {allowed})")
        if self.kind in UTTERANCE_FAULT_KINDS and self.utterance is None:
            raise ValueError(f"fault {self.kind!r} needs 'utterance' (0-based index)")
        if self.kind == "expire_after_s" and self.seconds is None:
            raise ValueError("fault 'expire_after_s' needs 'seconds'")
        if self.kind == "max_sessions_per_key" and not self.count:
            raise ValueError("fault 'max_sessions_per_key' needs 'count' (at least 1)")
        if self.status is not None and self.kind != "http_5xx_first_n":
            raise ValueError("'status' goes with fault 'http_5xx_first_n'")
        if self.ends_response is not None and self.kind != "error_event":
            raise ValueError("'ends_response' goes with fault 'error_event'")
        return self


class _UtteranceModel(_Strict):
    language: str = pydantic.Field(min_length=2)
    start_ms: int = pydantic.Field(default=0, ge=0)
    end_ms: int = pydantic.Field(default=0, ge=0)
    transcript: str
    translations: dict[str, str] = pydantic.Field(min_length=1)
    translation_audio: dict[str, str] = {}
    words: list[tuple[str, int, int]] = []
    delay_ms: int | None = pydantic.Field(default=None, ge=0)


class _ScenarioModel(_Strict):
    audio: str | None = None
    ordering: Literal["cascaded", "realtime"] | None = None
    model_delay_ms: int | None = pydantic.Field(default=None, ge=0)
    ms_per_char: float | None = pydantic.Field(default=None, gt=0)
    description: str | None = None
    utterances: list[_UtteranceModel] = pydantic.Field(min_length=1)
    faults: list[_FaultModel] = []


def _loc(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _existing(base: Path, name: str, where: str, path: Path) -> Path:
    resolved = (base / name).resolve()
    if not resolved.is_file():
        raise ScenarioError(f"{path}: {where}: file not found: {resolved}")
    return resolved


def parse_scenario(raw: object, path: Path) -> Scenario:
    """Validate an already-parsed document; file names are resolved against ``path``'s folder."""
    try:
        model = _ScenarioModel.model_validate(raw)
    except pydantic.ValidationError as e:
        first = e.errors()[0]
        raise ScenarioError(f"{path}: {_loc(tuple(first['loc']))}: {first['msg']}") from e
    base = path.parent
    utterances = []
    for i, u in enumerate(model.utterances):
        for j, (_, start, end) in enumerate(u.words):
            if end < start:
                raise ScenarioError(
                    f"{path}: utterances[{i}].words[{j}]: end_ms {end} is before start_ms {start}"
                )
        audio_map = {
            lang: _existing(base, name, f"utterances[{i}].translation_audio.{lang}", path)
            for lang, name in u.translation_audio.items()
        }
        utterances.append(
            Utterance(
                language=u.language,
                start_ms=u.start_ms,
                end_ms=max(u.end_ms, u.start_ms),
                transcript=u.transcript,
                translations=dict(u.translations),
                translation_audio=audio_map,
                words=tuple(Word(t, s, e) for t, s, e in u.words),
                delay_ms=u.delay_ms,
            )
        )
    return Scenario(
        utterances=tuple(utterances),
        audio=_existing(base, model.audio, "audio", path) if model.audio else None,
        ordering=model.ordering,
        model_delay_ms=model.model_delay_ms,
        ms_per_char=model.ms_per_char,
        faults=tuple(f.model_dump(exclude_none=True) for f in model.faults),
    )


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file (YAML or JSON)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ScenarioError(f"{path}: cannot read scenario: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise ScenarioError(f"{path}: not UTF-8 text") from e
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "syntax"
        raise ScenarioError(f"{path}: {where}: not valid YAML/JSON ({getattr(e, 'problem', e)})") from e
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: (top level): expected a mapping with 'utterances'")
    return parse_scenario(raw, path)
