"""Issue 12 items 8-10 through the real CLI: language tags the service knows, error
wording, and paths in a profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import run_cli, write_profile


def _error_line(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("translator: error:")]
    assert len(errors) == 1 and "Traceback" not in stderr, stderr[-2000:]
    return errors[0]


@pytest.mark.parametrize(
    ("tag", "nearest"),
    [("xx-QQ", None), ("es-XX", "es-ES"), ("fr-US", "fr-FR"), ("zh-SG", "zh-CN")],
)
@pytest.mark.parametrize("command", ["check", "run"])
def test_unknown_language_tags_are_refused_naming_the_nearest(
    tmp_path: Path, tag: str, nearest: str | None, command: str
) -> None:
    profile = write_profile(tmp_path / "p.yaml", f"directions:\n  - {{source: en-US, target: {tag}}}\n")
    extra = ["--emulator", "--no-play", "--fast"] if command == "run" else []
    result = run_cli(command, str(profile), *extra)
    assert result.code == 2, result.stderr[-2000:]
    line = _error_line(result.stderr)
    assert f"p.yaml:2: directions[0].target: '{tag}'" in line and "nearest:" in line, line
    if nearest:
        assert nearest in line.split("nearest:")[1], line


def test_every_shipped_profile_uses_known_languages() -> None:
    for profile in sorted(Path("configs").glob("*.yaml")):
        result = run_cli("check", str(profile))
        assert result.code == 0, (profile, result.stderr[-1000:])
