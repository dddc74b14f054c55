"""Bad paths and options give one-line SubtitleErrors, never tracebacks from deep inside."""

from __future__ import annotations

from pathlib import Path

import pytest

from translator.errors import TranslatorError
from translator.events import TranslationFinal
from translator.subtitles import SubtitleError, SubtitleOptions, open_subtitle_sink
from translator.subtitles.console import ConsoleSink
from translator.subtitles.files import AppendOnlyFile


@pytest.mark.parametrize("name", ["out.txt", "out", "out.SRTX", "subs.ass"])
def test_unknown_extension(name: str, tmp_path: Path) -> None:
    with pytest.raises(SubtitleError, match=r"use \.srt, \.vtt or \.jsonl") as info:
        open_subtitle_sink(str(tmp_path / name), SubtitleOptions())
    assert "\n" not in str(info.value)
    assert not (tmp_path / name).exists()


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(SubtitleError, match="cannot open subtitle file .*No such file or directory"):
        open_subtitle_sink(str(tmp_path / "nope" / "out.srt"), SubtitleOptions())


def test_directory_path(tmp_path: Path) -> None:
    (tmp_path / "dir.vtt").mkdir()
    with pytest.raises(SubtitleError, match="is a directory"):
        open_subtitle_sink(str(tmp_path / "dir.vtt"), SubtitleOptions())


def test_unwritable_location() -> None:
    with pytest.raises(SubtitleError, match="cannot open subtitle file /proc/subtitles.srt: "):
        open_subtitle_sink("/proc/subtitles.srt", SubtitleOptions())


def test_full_disk_is_a_subtitle_error() -> None:
    out = AppendOnlyFile("/dev/full")
    with pytest.raises(SubtitleError, match="cannot write subtitle file /dev/full: No space left on device"):
        out.write("1\n")
    out.close()


def test_upper_case_extension_and_stdout_dash(tmp_path: Path) -> None:
    sink = open_subtitle_sink(str(tmp_path / "OUT.VTT"), SubtitleOptions())
    sink.close()
    sink.close()  # idempotent
    assert (tmp_path / "OUT.VTT").read_text(encoding="utf-8") == "WEBVTT\n\n"
    assert isinstance(open_subtitle_sink("-", SubtitleOptions()), ConsoleSink)


def test_events_after_close_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "out.srt"
    sink = open_subtitle_sink(str(path), SubtitleOptions())
    sink.close()
    sink.handle(TranslationFinal("en>es", "u1", "en", "es", 0, 900, "Hola.", "Hi."))
    assert path.read_text(encoding="utf-8") == ""


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_chars": 3}, "max_chars must be between 8 and 200, got 3"),
        ({"max_lines": 0}, "max_lines must be between 1 and 10, got 0"),
        ({"min_duration_ms": -1}, "min_duration_ms must be between 0 and 20000"),
        ({"max_cps": 0.0}, "max_cps must be between 1 and 100"),
        ({"bilingual": "yes"}, "bilingual must be one of off, source-first, translation-first; got 'yes'"),
        ({"track": "all"}, "track must be one of translation, source, both"),
        ({"profanity": "bleep"}, "profanity must be one of raw, mask, remove"),
    ],
)
def test_bad_options(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(SubtitleError, match=message) as info:
        SubtitleOptions(**kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, TranslatorError) and info.value.exit_status == 2


def test_language_defaults() -> None:
    options = SubtitleOptions()
    assert (options.max_chars_for("en-US"), options.max_cps_for("en-US")) == (37, 17.0)
    assert (options.max_chars_for("zh-Hans-CN"), options.max_cps_for("ja-JP")) == (30, 9.0)
    assert SubtitleOptions(max_chars=42, max_cps=20.0).max_chars_for("ja") == 42
