"""Profiles: valid shipped profiles, and broken ones each with one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from translator.errors import ProfileError
from translator.profile.model import Profile, json_schema, load_profile, parse_profile

ROOT = Path(__file__).resolve().parents[2]
BROKEN = Path(__file__).parent / "profiles"

EXPECTED = {
    "bad-voice.yaml": ("4", "directions[0].voice", "unknown OpenAI voice 'robot'; allowed: alloy"),
    "bad-language.yaml": ("2", "directions[0].source", "not a BCP-47 language tag"),
    "unknown-field.yaml": (
        "6",
        "turn_detection.treshold",
        "unknown field 'treshold'; allowed: type, threshold",
    ),
    "key-in-profile.yaml": ("3", "service.api_key", "keys never live in a profile"),
    "not-yaml.yaml": ("4", "", "not valid YAML"),
    "no-directions.yaml": ("1", "directions", "required field is missing"),
    "same-language.yaml": ("2", "directions[0]", "source and target are both en-US"),
    "bad-threshold.yaml": ("4", "turn_detection.threshold", "less than or equal to 1"),
    "bad-turn-type.yaml": ("4", "turn_detection.type", "Input should be 'client'"),
    "semantic-in-server-vad.yaml": (
        "5",
        "turn_detection.remove_filler_words",
        "applies to the azure_semantic_vad types only",
    ),
    "early-cut-server-vad.yaml": (
        "5",
        "turn_detection.early_cut_ms",
        "applies to client turns only, not 'server_vad'",
    ),
    "early-cut-past-limit.yaml": (
        "5",
        "turn_detection.early_cut_ms",
        "must be less than max_segment_ms (3000)",
    ),
    "early-cut-no-limit.yaml": ("5", "turn_detection.early_cut_ms", "needs max_segment_ms, which is null"),
    "duplicate-direction.yaml": ("3", "directions[1]", "direction en-US>es-ES is listed twice"),
    "list-at-top.yaml": ("1", "", "a profile is a YAML mapping"),
    "azure-voice-no-name.yaml": ("4", "directions[0].voice.name", "required field is missing"),
    "binary.yaml": ("", "", "cannot read profile"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_profile_names_file_line_field_and_rule(name: str) -> None:
    line, field, words = EXPECTED[name]
    with pytest.raises(ProfileError) as info:
        load_profile(BROKEN / name)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(BROKEN / name) + (f":{line}:" if line else ":"))
    assert field in message
    assert words in message
    assert "sk-THIS-MUST-NEVER-BE-PRINTED" not in message


def test_every_broken_profile_is_covered() -> None:
    assert sorted(p.name for p in BROKEN.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_profiles_are_valid(path: Path) -> None:
    profile = load_profile(path)
    assert profile.directions


def test_shapes_of_the_shipped_profiles() -> None:
    pair = load_profile(ROOT / "configs/en-es.yaml")
    assert {d.key for d in pair.directions} == {"en-US>es-ES", "es-ES>en-US"}
    assert {pair.input_of(d) for d in pair.directions} == {"mic"}
    many = load_profile(ROOT / "configs/en-to-many.yaml")
    assert {d.source for d in many.directions} == {"en-US"} and len(many.directions) == 3
    assert len({p for d in many.directions for p in d.subtitles}) == 3
    assert load_profile(ROOT / "configs/en-zh.yaml").directions[0].target == "zh-CN"


def test_yaml_off_means_off() -> None:
    p = parse_profile("subtitles: {bilingual: off}\ndirections: [{source: en-US, target: es-ES}]")
    assert p.subtitles.bilingual == "off"


def test_schema_is_json_schema_of_the_same_model() -> None:
    schema = json_schema()
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert "directions" in schema["required"]
    assert set(schema["properties"]) == set(Profile.model_fields)
    json.dumps(schema)


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 70000),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["en-US", "es-ES", "alloy", "client", "off", "mic"]),
)
_keys = st.sampled_from(
    [
        "directions",
        "source",
        "target",
        "voice",
        "turn_detection",
        "threshold",
        "type",
        "service",
        "endpoint",
        "model",
        "subtitles",
        "glossary",
        "term",
        "input",
        "x",
        "api_key",
    ]
)
_yamlish = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=5)),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_yamlish)
def test_random_profiles_give_a_profile_or_one_clear_line(data: object) -> None:
    import yaml

    text = yaml.safe_dump(data)
    try:
        parse_profile(text, "fuzz.yaml")
    except ProfileError as e:
        assert str(e).startswith("fuzz.yaml") and "\n" not in str(e)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.integers(0, 400))
def test_mutated_profile_text_never_crashes(noise: bytes, at: int) -> None:
    base = (ROOT / "configs/en-es.yaml").read_text(encoding="utf-8")
    at = at % len(base)
    text = base[:at] + noise.decode("utf-8", errors="replace") + base[at + len(noise) // 2 :]
    try:
        parse_profile(text, "mutated.yaml")
    except ProfileError as e:
        assert "\n" not in str(e)
