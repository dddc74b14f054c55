"""A service that refuses the credentials: the real CLI gives up at once with one line and exit 3.

The emulator answers the WebSocket handshake with HTTP 401 (a key it does not accept)
or 403 (its ``http_403_first_n`` switch). Retrying cannot fix either, so the client
must not reconnect, must not hang, must say so in one line and end with exit status 3
(``ServiceRejected``), without printing the key.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import PAIR_PROFILE, SAMPLES, SECRET_KEY, Result, run_cli_async
from translator.emulator import Emulator, EmulatorOptions, load_scenario


async def _run_against(tmp_path: Path, options: EmulatorOptions) -> tuple[Result, Emulator]:
    profile = tmp_path / "pair.yaml"
    profile.write_text(
        PAIR_PROFILE.format(input=SAMPLES / "en-es-sample.wav", max_segment="null"), encoding="utf-8"
    )
    async with Emulator(options) as emulator:
        result = await run_cli_async(
            "run",
            str(profile),
            "--endpoint",
            emulator.url,
            "--fast",
            "--no-play",
            "--subtitles",
            str(tmp_path / "out.jsonl"),
            timeout=120,
        )
    return result, emulator


def _assert_gave_up_in_one_line(result: Result, status: int) -> None:
    assert result.code == 3, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("translator: error:")]
    assert len(errors) == 1, result.stderr[-2000:]
    assert errors[0] == result.stderr.strip().splitlines()[-1], "the error is the last thing said"
    assert f"rejected the credentials (HTTP {status})" in errors[0]
    assert '"event": "reconnecting"' not in result.stderr, "a refusal is not retried"
    assert SECRET_KEY not in result.stdout + result.stderr


async def test_http_401_at_the_handshake_exits_3_without_retrying(tmp_path: Path) -> None:
    options = EmulatorOptions(
        scenario=load_scenario(SAMPLES / "en-es-sample.yaml"),
        accepted_keys=frozenset({"sk-some-other-key"}),
    )
    result, emulator = await _run_against(tmp_path, options)
    _assert_gave_up_in_one_line(result, 401)
    assert not emulator.records, "no session was ever opened"


@pytest.mark.parametrize("refusals", [1, 50])
async def test_http_403_at_the_handshake_exits_3_without_retrying(tmp_path: Path, refusals: int) -> None:
    """403 on the first handshake only (1) is still final: the client must not try again."""
    options = EmulatorOptions(scenario=load_scenario(SAMPLES / "en-es-sample.yaml"))
    options.faults.http_403_first_n = refusals
    result, emulator = await _run_against(tmp_path, options)
    _assert_gave_up_in_one_line(result, 403)
    assert options.faults.refused()["403"] >= 1, "the fault never fired"
    if refusals == 50:
        # two directions, one handshake each at most: nobody knocked again
        assert options.faults.refused()["403"] <= 2
