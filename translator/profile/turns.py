"""How a profile says speech is cut into turns (``turn_detection:``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from translator.profile.base import Language, StrictModel, language_tag
from translator.profile.errors import FieldProblem
from translator.profile.locales import check_locale


class EndOfUtterance(StrictModel):
    """Semantic end-of-utterance detection on top of the service's turn detection."""

    model: Literal[
        "semantic_detection_v1", "semantic_detection_v1_en", "semantic_detection_v1_multilingual"
    ] = "semantic_detection_v1"
    threshold_level: Literal["low", "medium", "high", "default"] = "default"
    timeout_ms: int = Field(1000, ge=0, le=10000)


class TurnDetection(StrictModel):
    """How speech is cut into utterances.

    ``client`` (the default) segments on this machine and commits each utterance
    (manual turns on the wire): see ``segmenter.py``. ``server_vad`` and the
    ``azure_semantic_vad`` variants let Voice Live detect the turns; the client still
    creates every response itself, one at a time and in order (``turns_server.py``).
    """

    type: Literal[
        "client",
        "server_vad",
        "azure_semantic_vad",
        "azure_semantic_vad_en",
        "azure_semantic_vad_multilingual",
    ] = "client"
    threshold: float = Field(
        0.5, ge=0.0, le=1.0, description="speech sensitivity; higher needs louder speech"
    )
    prefix_padding_ms: int = Field(300, ge=0, le=2000)
    silence_duration_ms: int = Field(500, ge=100, le=5000)
    speech_duration_ms: int = Field(120, ge=0, le=2000)
    max_segment_ms: int | None = Field(
        4000,
        ge=1500,
        le=60000,
        description="end an utterance whose speech runs on past this, at the best pause (null: never)",
    )
    early_cut_ms: int | None = Field(
        None,
        ge=1500,
        le=60000,
        description="client only: from this much speech on, end an utterance at the first gap between "
        "words instead of at max_segment_ms (lower lag; splits sentences)",
    )
    detector: Literal["silero", "webrtc", "energy"] = Field(
        "silero",
        description="the client's speech detector: cuts client turns, finds pauses in long service turns",
    )
    remove_filler_words: bool = Field(False, description="azure_semantic_vad variants only")
    languages: tuple[Language, ...] = Field((), description="azure_semantic_vad variants only")
    end_of_utterance: EndOfUtterance | None = Field(
        None, description="server types only: semantic end-of-utterance detection"
    )

    @field_validator("languages")
    @classmethod
    def _tags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_locale(language_tag(tag)) for tag in value)

    @property
    def by_service(self) -> bool:
        return self.type != "client"

    @model_validator(mode="after")
    def _fits_type(self) -> TurnDetection:
        if self.type in ("client", "server_vad"):
            semantic = [k for k in ("remove_filler_words", "languages") if k in self.model_fields_set]
            if semantic:
                raise FieldProblem(
                    ("turn_detection", semantic[0]),
                    f"applies to the azure_semantic_vad types only, not '{self.type}'",
                )
        if self.early_cut_ms is not None:
            if self.type != "client":
                raise FieldProblem(
                    ("turn_detection", "early_cut_ms"),
                    f"applies to client turns only, not '{self.type}' (the service cuts its own turns)",
                )
            if self.max_segment_ms is None:
                raise FieldProblem(("turn_detection", "early_cut_ms"), "needs max_segment_ms, which is null")
            if self.early_cut_ms >= self.max_segment_ms:
                raise FieldProblem(
                    ("turn_detection", "early_cut_ms"),
                    f"must be less than max_segment_ms ({self.max_segment_ms})",
                )
        if self.type == "client" and self.end_of_utterance is not None:
            raise FieldProblem(
                ("turn_detection", "end_of_utterance"),
                "needs the service's turn detection (type server_vad or azure_semantic_vad*)",
            )
        return self
