"""Issue 12 items 8-10 through the real CLI: language tags the service knows, error
wording, and paths in a profile."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, SAMPLES, run_cli, write_profile


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


# -- item 9: error wording ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("directions: 5\n", ["p.yaml:1: directions: should be a list, not 5"]),
        (
            "directions:\n  - {source: en-US, target: es-ES}\n  - {source: en-US, target: es-ES}\n",
            ["p.yaml:3: directions[1]: direction en-US>es-ES is listed twice"],
        ),
        (
            "directions:\n  - {source: en-US, target: es-ES, voice: robot}\nturn_detection: {threshold: 7}\n",
            ["directions[0].voice: unknown OpenAI voice 'robot'", "line 3: turn_detection.threshold"],
        ),
    ],
)
def test_profile_errors_say_what_and_hide_no_problem(tmp_path: Path, body: str, words: list[str]) -> None:
    profile = write_profile(tmp_path / "p.yaml", body)
    result = run_cli("check", str(profile))
    assert result.code == 2, result.stderr[-2000:]
    line = _error_line(result.stderr)
    for w in words:
        assert w in line, line
    assert "valid tuple" not in line and "more problem" not in line and "(top level)" not in line


def test_an_empty_input_file_is_called_empty(tmp_path: Path) -> None:
    empty = tmp_path / "talk.wav"
    empty.write_bytes(b"")
    result = run_cli("run", "configs/en-es.yaml", "--emulator", "--no-play", "--input", str(empty))
    assert result.code == 2
    assert "the file is empty" in _error_line(result.stderr)


def test_a_folder_that_cannot_be_created_is_named_without_errno(tmp_path: Path) -> None:
    result = run_cli(
        "run", "configs/en-es.yaml", "--emulator", "--no-play", "--fast", "--subtitles", "/proc/no-such/x.srt"
    )
    assert result.code == 2
    line = _error_line(result.stderr)
    assert "cannot create folder /proc/no-such" in line and "Errno" not in line, line


def test_a_failed_entra_id_login_suggests_the_key_or_az_login(tmp_path: Path) -> None:
    result = run_cli(
        "run", "configs/en-es.yaml", "--no-play", "--fast", "--endpoint", "https://127.0.0.1:9",
        "--input", "translator/samples/en-es-sample.wav",
        env={"AZURE_COGNITIVE_SERVICES_KEY": "", "AZURE_CONFIG_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=150,
    )  # fmt: skip
    assert result.code == 3, result.stderr[-2000:]
    line = _error_line(result.stderr)
    assert "Entra ID" in line and "AZURE_COGNITIVE_SERVICES_KEY" in line and "az login" in line, line


# -- item 10: paths in a profile, the command line overrides, check reports everything -----


def test_profile_paths_are_relative_to_the_profile(tmp_path: Path) -> None:
    shutil.copy(SAMPLES / "en-es-sample.wav", tmp_path / "talk.wav")
    profile = write_profile(
        tmp_path / "p.yaml",
        "input: talk.wav\ndirections:\n"
        "  - {source: en-US, target: es-ES, subtitles: [out/es.srt], audio_out: out/es.wav}\n"
        "  - {source: es-ES, target: en-US}\n",
    )
    result = run_cli(
        "run", str(profile), "--emulator", "--no-play", "--fast", "--quiet"
    )  # cwd: the repository
    assert result.code == 0, result.stderr[-2000:]
    assert (tmp_path / "out" / "es.srt").stat().st_size > 100
    assert (tmp_path / "out" / "es.wav").stat().st_size > 10_000
    assert not (ROOT / "out" / "es.srt").exists()


def test_the_command_line_overrides_the_profiles_outputs(tmp_path: Path) -> None:
    shutil.copy(SAMPLES / "en-es-sample.wav", tmp_path / "talk.wav")
    profile = write_profile(
        tmp_path / "p.yaml",
        "input: talk.wav\ndirections:\n  - {source: en-US, target: es-ES, subtitles: [out/es.srt]}\n"
        "  - {source: es-ES, target: en-US}\n",
    )
    mine = tmp_path / "mine.srt"
    result = run_cli(
        "run", str(profile), "--emulator", "--no-play", "--fast", "--quiet", "--subtitles", str(mine)
    )
    assert result.code == 0, result.stderr[-2000:]
    assert mine.stat().st_size > 100
    assert not (tmp_path / "out").exists()


def test_check_reports_what_run_would(tmp_path: Path) -> None:
    profile = write_profile(
        tmp_path / "p.yaml",
        "input: missing.wav\noutput: No Such Speaker 9000\n"
        "directions:\n  - {source: en-US, target: es-ES}\n"
        "turn_detection: {type: server_vad, max_segment_ms: 3000}\n",
    )
    result = run_cli("check", str(profile))
    assert result.code == 2, result.stderr[-2000:]
    line = _error_line(result.stderr)
    assert "missing.wav" in line and "does not exist" in line, line
    assert "No Such Speaker 9000" in line, line
    # max_segment_ms holds for every turn type now: nothing is reported as ignored
    assert "is ignored" not in result.stderr


def test_mp3_input_prints_no_decoder_lines(tmp_path: Path) -> None:
    import subprocess

    mp3 = tmp_path / "talk.mp3"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-i", str(SAMPLES / "en-es-sample.wav"), "-t", "6", str(mp3)],
        check=True,
    )
    result = run_cli(
        "run", "configs/en-es.yaml", "--emulator", "--no-play", "--fast", "--quiet", "--input", str(mp3)
    )
    assert result.code == 0, result.stderr[-2000:]
    assert "libmpg123" not in result.stderr, result.stderr[:1500]
    assert all(line.startswith("{") for line in result.stderr.splitlines()), result.stderr[:1500]
