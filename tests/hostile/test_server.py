"""A hostile service, through the real CLI and SDK: frames that are not objects, errors
during configuration, a handshake that never completes, expiry times not to be trusted,
and the key echoed back in every free-text field. Each run is bounded in time, ends with
the expected exit status, translates every utterance where the service recovers, and
writes no form of the key anywhere, even at ``--log-level debug``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.hostile.server import (
    HOSTILE_KEY,
    KEY_FORMS,
    assert_no_key,
    expected_translations,
    run_hostile,
)

BOUND_S = 150.0  # generous: a fast run takes seconds; the machine is shared
DEEP = "[" * 100_000 + "]" * 100_000
BAD_FRAMES = ["[]", "null", "5", '"text"', "true", DEEP, '{"a":' * 50_000 + "1" + "}" * 50_000]


async def test_frames_that_are_not_objects_are_skipped_and_every_direction_goes_on(tmp_path: Path) -> None:
    faults = [{"kind": "raw_frames", "connection": c, "frames": BAD_FRAMES} for c in (0, 1)]
    outcome = await run_hostile(tmp_path, faults)
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert outcome.took_s < BOUND_S
    assert [t["text"] for t in outcome.translations()] == expected_translations()
    assert len(outcome.logged("malformed_server_frame")) >= 2 * len(BAD_FRAMES)
    assert b"internal error" not in outcome.stderr
    assert_no_key(outcome)


@pytest.mark.parametrize("code", ["rate_limit_exceeded", "server_error", "internal_error"])
async def test_transient_error_during_configuration_backs_off_and_retries(tmp_path: Path, code: str) -> None:
    # A drop mid-run, then the reconnects are answered with a transient error.
    faults: list[dict[str, Any]] = [{"kind": "close_1011_mid_response", "utterance": 1}]
    faults += [{"kind": "update_error", "connection": c, "code": code} for c in (2, 3)]
    outcome = await run_hostile(tmp_path, faults)
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert outcome.took_s < BOUND_S
    assert [t["text"] for t in outcome.translations()] == expected_translations()
    assert any(code in line for line in outcome.logged("reconnecting"))
    assert_no_key(outcome)


async def test_invalid_configuration_is_still_fatal(tmp_path: Path) -> None:
    faults = [{"kind": "update_error", "connection": c, "code": "invalid_value"} for c in (0, 1)]
    outcome = await run_hostile(tmp_path, faults)
    assert outcome.code == 3, outcome.stderr[-2000:]
    assert outcome.took_s < BOUND_S
    assert b"refused the configuration" in outcome.stderr


async def test_handshake_that_never_completes_times_out_and_retries(tmp_path: Path) -> None:
    outcome = await run_hostile(tmp_path, [{"kind": "hang_handshake", "count": 2}], connect_timeout_s=3)
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert outcome.took_s < BOUND_S
    assert [t["text"] for t in outcome.translations()] == expected_translations()
    assert any("no answer to the handshake" in line for line in outcome.logged("reconnecting"))
    assert b"Unclosed client session" not in outcome.stderr
    assert b"internal error" not in outcome.stderr


@pytest.mark.parametrize("expires_at_s", [0, 1_000, 4_102_444_800_000])
async def test_untrusted_expiry_causes_no_reconnect_storm(tmp_path: Path, expires_at_s: float) -> None:
    outcome = await run_hostile(tmp_path, [{"kind": "expires_at", "seconds": expires_at_s}])
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert outcome.took_s < BOUND_S
    assert [t["text"] for t in outcome.translations()] == expected_translations()
    assert len(outcome.emulator.records) <= 4  # two directions; a storm made thousands
    assert outcome.logged("expiry_ignored")


def _key_everywhere(data: dict[str, Any]) -> None:
    forms = " ".join(KEY_FORMS.values())
    data["utterances"][0]["translations"] = {"es-ES": f"Buenos días {forms}."}
    data["utterances"][1]["transcript"] += f" {forms}"


@pytest.mark.parametrize("log_level", ["info", "debug"])
async def test_key_echoed_in_free_text_never_reaches_output(tmp_path: Path, log_level: str) -> None:
    forms = " ".join(KEY_FORMS.values())
    faults = [
        {"kind": "echo", "reason": f"echo {forms}"},
        {"kind": "transcription_failed", "utterance": 2},
        {"kind": "response_incomplete", "utterance": 3, "reason": f"cut {forms}"},
        {"kind": "error_event", "utterance": 1, "code": "server_error"},
        {"kind": "warning_event", "utterance": 0},
    ]
    outcome = await run_hostile(tmp_path, faults, edit=_key_everywhere, extra=("--log-level", log_level))
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert outcome.took_s < BOUND_S
    assert_no_key(outcome)
    texts = [t["text"] for t in outcome.translations()]
    assert len(texts) == 4 and "***" in texts[0]
    assert b"***" in outcome.stdout


async def test_check_never_prints_credentials_in_an_endpoint(tmp_path: Path) -> None:
    import asyncio
    import os
    import sys

    from tests.hostile.server import ROOT

    env = {
        **os.environ,
        "AZURE_COGNITIVE_SERVICES_KEY": HOSTILE_KEY,
        "AZURE_COGNITIVE_SERVICES_ENDPOINT": f"https://user:{KEY_FORMS['url']}@example.com",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "translator", "check", "configs/en-es.yaml",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env, cwd=ROOT,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode == 0, err
    assert b"https://***@example.com" in out
    for form in KEY_FORMS.values():
        assert form.encode() not in out + err


@pytest.mark.parametrize("endpoint", ["https://[::1", "http://127.0.0.1:99999", "https://h:port/"])
async def test_unparsable_endpoint_is_bad_input(tmp_path: Path, endpoint: str) -> None:
    import asyncio
    import sys

    from tests.hostile.server import ROOT

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "translator", "run", "configs/en-es.yaml", "--endpoint", endpoint,
        "--input", "translator/samples/en-es-sample.wav", "--no-play",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2, err
    assert err.decode().count("\n") == 1 and b"not a valid URL" in err
