"""Language-pair profiles: YAML → validated, frozen objects.

A profile names the translation directions and how each one sounds, where its
audio comes from and goes to, and how the service is asked to behave. Errors name
the file, the line, the field path and what is allowed, in one line, and never
show a traceback (``ProfileError``). The JSON Schema (``translator schema``) comes
from the same models.

Shapes that the profile supports, all with one ``directions`` list:

* a pair, both ways, one shared input: ``en-US>es-ES`` and ``es-ES>en-US``;
  each utterance is translated by the direction whose source was spoken;
* one way: a single direction;
* one to many: one source, several targets; every utterance goes to every target.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from translator.errors import ProfileError
from translator.profile.base import Language, StrictModel, language_tag
from translator.profile.errors import FieldProblem, describe
from translator.profile.locales import check_locale
from translator.profile.turns import TurnDetection
from translator.profile.yamlpos import YamlRefused, format_path, line_of, load_with_lines

_MAX_DIRECTIONS = 500

OPENAI_VOICES = ("alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar")

DEFAULT_AZURE_VOICES = {
    "en": "en-US-AvaNeural",
    "es": "es-ES-ElviraNeural",
    "zh": "zh-CN-XiaoxiaoNeural",
    "fr": "fr-FR-DeniseNeural",
    "de": "de-DE-KatjaNeural",
    "it": "it-IT-ElsaNeural",
    "ja": "ja-JP-NanamiNeural",
    "pt": "pt-BR-FranciscaNeural",
}

_FORBIDDEN_SECRETS = {"key", "api_key", "api-key", "apikey", "token", "password", "secret"}


class Service(StrictModel):
    """Where and how to reach Voice Live. The key never lives here: see AZURE_COGNITIVE_SERVICES_KEY."""

    endpoint: str | None = Field(
        None,
        description="https://<resource>.services.ai.azure.com (default: $AZURE_COGNITIVE_SERVICES_ENDPOINT)",
    )
    model: str = Field("gpt-4o", min_length=1, description="Voice Live model, e.g. gpt-4o, gpt-realtime")
    api_version: str = Field("2026-07-15", pattern=r"^(\d{4}-\d{2}-\d{2}(-preview)?|v1)$")
    connect_timeout_s: float = Field(15.0, gt=0, le=120)


class Transcription(StrictModel):
    model: str = Field("azure-speech", min_length=1)
    phrase_list: tuple[str, ...] = ()
    custom_speech: dict[str, str] | None = None


class GlossaryEntry(StrictModel):
    """A term translated a fixed way (``translation`` / per-target ``translations``) or kept as it is."""

    term: str = Field(min_length=1)
    translation: str | None = None
    translations: dict[str, str] = Field(default_factory=dict)


class AudioProcessing(StrictModel):
    noise_suppression: bool = True
    echo_cancellation: bool = False


class AzureVoice(StrictModel):
    type: Literal["azure-standard", "azure-custom", "azure-personal"]
    name: str = Field(min_length=1)
    endpoint_id: str | None = None
    model: str | None = None
    rate: str | None = None
    pitch: str | None = None
    volume: str | None = None
    style: str | None = None
    locale: str | None = None
    temperature: float | None = Field(None, ge=0, le=1)

    @model_validator(mode="after")
    def _check(self) -> AzureVoice:
        if self.type == "azure-custom" and not self.endpoint_id:
            raise ValueError("an azure-custom voice needs endpoint_id")
        if self.type == "azure-personal" and not self.model:
            raise ValueError("an azure-personal voice needs model (e.g. DragonLatestNeural)")
        return self


class Playback(StrictModel):
    """How translated speech is played, and the optional monitor of the original input."""

    prebuffer_ms: int = Field(100, ge=0, le=2000, description="jitter buffer filled before playing starts")
    monitor: bool = Field(False, description="also play the original input (for an interpreter booth)")
    monitor_device: str = Field("default", description="device for the monitor: default, a name, an index")
    duck_db: float = Field(12.0, ge=0, le=60, description="how much the monitor is lowered under translation")


class Subtitles(StrictModel):
    bilingual: Literal["off", "source-first", "translation-first"] = "off"
    track: Literal["translation", "source", "both"] = "translation"
    max_chars: int | None = Field(None, ge=10, le=120)
    max_lines: int = Field(2, ge=1, le=4)
    min_duration_ms: int = Field(1000, ge=0, le=10000)
    max_cps: float | None = Field(None, gt=0, le=60)
    profanity: Literal["raw", "mask", "remove"] = "raw"

    @field_validator("bilingual", mode="before")
    @classmethod
    def _yaml_off(cls, value: Any) -> Any:
        # YAML 1.1 reads an unquoted `off` as false and `on` as true.
        if value is False:
            return "off"
        if value is True:
            return "source-first"
        return value


class Serve(StrictModel):
    """The audience server (``--serve``): listener page, overlay, caption events."""

    listen: str | None = Field(None, description="[HOST:]PORT to serve on (loopback unless a host is given)")
    access_code: str | None = Field(None, min_length=4, max_length=128, description="required in every URL")
    max_listeners: int = Field(500, ge=1, le=100_000, description="audio listeners (and caption readers)")
    tls: str | None = Field(None, description="auto (self-signed) or CERT.pem:KEY.pem: serve HTTPS")


class Direction(StrictModel):
    source: Language
    target: Language
    voice: str | AzureVoice | None = Field(None, description="an OpenAI voice name or an Azure voice object")
    input: str | None = Field(None, description="this direction's own input (default: the profile's input)")
    output: str | None = Field(None, description="output device: default, a name, an index, or none")
    subtitles: tuple[str, ...] = Field(
        (), description="subtitle files (.srt, .vtt, .jsonl) for this direction"
    )
    audio_out: str | None = Field(None, description="WAV file for this direction's translated speech")

    _source = field_validator("source", "target")(language_tag)
    _supported = field_validator("source", "target")(check_locale)

    @field_validator("subtitles", "audio_out")
    @classmethod
    def _templates(cls, value: Any) -> Any:
        for path in value if isinstance(value, tuple) else (value,):
            if isinstance(path, str):
                check_path_template(path)
        return value

    @field_validator("voice")
    @classmethod
    def _voice(cls, value: str | AzureVoice | None) -> str | AzureVoice | None:
        if isinstance(value, str) and value not in OPENAI_VOICES:
            raise ValueError(
                f"unknown OpenAI voice '{value}'; allowed: {', '.join(OPENAI_VOICES)}, "
                "or an Azure voice object such as {type: azure-standard, name: es-ES-ElviraNeural}"
            )
        return value

    @model_validator(mode="after")
    def _different(self) -> Direction:
        if self.source == self.target:
            raise ValueError(f"source and target are both {self.source}")
        return self

    @property
    def key(self) -> str:
        return f"{self.source}>{self.target}"

    def effective_voice(self) -> str | AzureVoice:
        if self.voice is not None:
            return self.voice
        name = DEFAULT_AZURE_VOICES.get(self.target.split("-")[0])
        return AzureVoice(type="azure-standard", name=name) if name else "alloy"


class Profile(StrictModel):
    """A language-pair profile (``configs/*.yaml``)."""

    name: str = ""
    service: Service = Field(default_factory=Service)
    input: str = Field("mic", description="shared input: a file, a URL, mic[:NAME], loopback[:OUTPUT]")
    output: str = Field("default", description="default output device for directions without their own")
    # Each direction is a connection of its own; 500 is far past one machine's capacity (README).
    directions: tuple[Direction, ...] = Field(min_length=1, max_length=_MAX_DIRECTIONS)
    turn_detection: TurnDetection = Field(default_factory=TurnDetection)
    transcription: Transcription = Field(default_factory=Transcription)
    glossary: tuple[GlossaryEntry, ...] = ()
    style: str | None = Field(None, description="register and style, e.g. 'formal, concise'")
    audio_processing: AudioProcessing = Field(default_factory=AudioProcessing)
    subtitles: Subtitles = Field(default_factory=Subtitles)
    playback: Playback = Field(default_factory=Playback)
    serve: Serve = Field(default_factory=Serve)

    @model_validator(mode="after")
    def _unique(self) -> Profile:
        seen: dict[str, int] = {}
        for i, d in enumerate(self.directions):  # a dict, not list.count: linear in the directions
            if d.key in seen:
                raise FieldProblem(
                    ("directions", i),
                    f"direction {d.key} is listed twice (first as directions[{seen[d.key]}])",
                )
            seen[d.key] = i
        return self

    def input_of(self, direction: Direction) -> str:
        return direction.input or self.input

    def output_of(self, direction: Direction) -> str:
        return direction.output or self.output


PATH_FIELDS = ("target", "source")


def check_path_template(path: str) -> str:
    """Refuse a path whose ``{...}`` is not ``{target}`` or ``{source}`` (``{{`` is a brace)."""
    import string

    try:
        fields = [name for _, name, spec, conv in string.Formatter().parse(path) if name is not None]
    except ValueError as e:
        raise ValueError(f"bad path template '{path}': {e}; allowed: {{target}}, {{source}}") from None
    for name in fields:
        if name not in PATH_FIELDS:
            raise ValueError(f"unknown placeholder '{{{name}}}' in '{path}'; allowed: {{target}}, {{source}}")
    return path


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile file. Raises ``ProfileError`` with one clear line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(f"{p}: no such profile file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ProfileError(f"{p}: cannot read profile: {e.__class__.__name__}: {e}") from None
    return parse_profile(text, str(p))


def parse_profile(text: str, filename: str = "<profile>") -> Profile:
    try:
        data, lines = load_with_lines(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ProfileError(f"{filename}{where}: not valid YAML: {problem}") from None
    except YamlRefused as e:
        where = f":{e.line}" if e.line else ""
        raise ProfileError(f"{filename}{where}: refused: {e}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{filename}:1: a profile is a YAML mapping with at least 'directions'")
    _refuse_secrets(data, filename, lines)
    directions = data.get("directions")
    if isinstance(directions, list) and len(directions) > _MAX_DIRECTIONS:  # before validating each one
        at = line_of(lines, ("directions",)) or 1
        raise ProfileError(
            f"{filename}:{at}: directions: {len(directions)} directions; at most {_MAX_DIRECTIONS} "
            "(each is a connection of its own)"
        )
    try:
        return Profile.model_validate(data)
    except ValidationError as e:
        raise ProfileError(describe(e, filename, lines, Profile)) from None


def _refuse_secrets(
    data: Any, filename: str, lines: dict[Any, int], path: tuple[str | int, ...] = ()
) -> None:
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(k, str) and k.lower() in _FORBIDDEN_SECRETS:
                where = line_of(lines, (*path, k))
                raise ProfileError(
                    f"{filename}:{where}: {format_path((*path, k))}: keys never live in a profile; "
                    "set AZURE_COGNITIVE_SERVICES_KEY or use Entra ID (DefaultAzureCredential)"
                )
            _refuse_secrets(v, filename, lines, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _refuse_secrets(v, filename, lines, (*path, i))


def json_schema() -> dict[str, Any]:
    schema = Profile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "translator language-pair profile"
    return schema
