"""Video files and bad inputs through the real CLI, PyAV (FFmpeg) and the emulator.

Each video is made here by ffmpeg from the bundled English/Spanish recording. Run with
``--fast``, it must give the same utterances, in the same directions, at the same times
as the WAV itself: shifted by 2.5 s when the video's sound starts 2.5 s in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import soundfile
import srt

from tests.e2e.conftest import PAIR_PROFILE, SAMPLES, SECRET_KEY, read_jsonl, run_cli, write_profile
from tests.e2e.media import VIDEOS, make_silent_video, make_video

SPEECH = SAMPLES / "en-es-sample.wav"
SCENARIO = SAMPLES / "en-es-sample.yaml"
PREFIX_PADDING_MS = 300
TOLERANCE_MS = 80
"""Codec delay and frame rounding: AAC primes 1024 samples (43 ms at 24 kHz); segmenter frames are 20 ms."""


def _translate(tmp_path: Path, source: Path, *extra: str) -> tuple[list[dict[str, Any]], Path]:
    profile = write_profile(tmp_path / "pair.yaml", PAIR_PROFILE.format(input="mic", max_segment="null"))
    out = tmp_path / "out"
    result = run_cli(
        "run", str(profile), "--emulator", "--scenario", str(SCENARIO), "--input", str(source),
        "--fast", "--no-play", "--quiet",
        "--subtitles", str(out / "lines.jsonl"), "--subtitles", str(out / "talk.srt"),
        "--audio-out", str(out / "speech.wav"), *extra,
    )  # fmt: skip
    assert result.code == 0, result.stderr[-2000:]
    assert SECRET_KEY not in result.stdout + result.stderr
    lines = sorted((x for x in read_jsonl(out / "lines.jsonl") if x["kind"] == "translation"), key=_start)
    return lines, out


def _start(line: dict[str, Any]) -> int:
    return int(line["start_ms"])


def _assert_same_times(
    lines: list[dict[str, Any]], reference: list[dict[str, Any]], shift_ms: int, *, quiet_lead_in: bool
) -> None:
    for i, (got, want) in enumerate(zip(lines, reference, strict=True)):
        # After a quiet lead-in (silence before a late-starting track; AAC's priming frame where no
        # edit list trims it, as in MPEG-TS) the segmenter's noise floor starts low, so the first
        # onset may reach back into the recording's own noise, by at most the prefix padding.
        early = PREFIX_PADDING_MS if quiet_lead_in and i == 0 else 0
        off_ms = got["start_ms"] - (want["start_ms"] + shift_ms)
        assert -TOLERANCE_MS - early <= off_ms <= TOLERANCE_MS, (got, want)
        assert abs(got["end_ms"] - (want["end_ms"] + shift_ms)) <= TOLERANCE_MS, (got, want)


@pytest.fixture(scope="module")
def wav_reference(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    lines, _ = _translate(tmp_path_factory.mktemp("wav"), SPEECH)
    assert len(lines) == 4
    return lines


@pytest.mark.parametrize(("kind", "offset_s"), [*((k, 0.0) for k in VIDEOS), ("mp4-aac", 2.5)])
def test_a_video_gives_the_wavs_utterances_and_times(
    tmp_path: Path, wav_reference: list[dict[str, Any]], kind: str, offset_s: float
) -> None:
    name, codecs = VIDEOS[kind]
    video = make_video(SPEECH, tmp_path / name, codecs, audio_offset_s=offset_s)
    lines, out = _translate(tmp_path, video)
    shift = round(offset_s * 1000)
    assert [(x["source_language"], x["text"]) for x in lines] == [
        (x["source_language"], x["text"]) for x in wav_reference
    ]
    _assert_same_times(lines, wav_reference, shift, quiet_lead_in=offset_s > 0)
    cues = list(srt.parse((out / "talk.srt").read_text(encoding="utf-8")))
    assert cues[0].start.total_seconds() * 1000 == lines[0]["start_ms"]
    # the translated speech is placed on the video's timeline too: nothing before the first line ends
    speech, rate = soundfile.read(out / "speech.wav", dtype="float32")
    first_sound_ms = int((abs(speech) > 0.01).argmax()) * 1000 // rate
    assert first_sound_ms >= wav_reference[0]["end_ms"] + shift - TOLERANCE_MS


def test_audio_stream_picks_the_second_audio_track(
    tmp_path: Path, wav_reference: list[dict[str, Any]]
) -> None:
    """A video with a silent first track and the speech on the second: --audio-stream 1 translates it."""
    from tests.e2e.media import BLACK_VIDEO, ffmpeg

    video = tmp_path / "two-tracks.mkv"
    ffmpeg(
        *BLACK_VIDEO, "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-i", str(SPEECH),
        "-map", "0:v", "-map", "1:a", "-map", "2:a", "-c:v", "libx264", "-c:a", "libopus",
        "-shortest", str(video),
    )  # fmt: skip
    lines, _ = _translate(tmp_path, video, "--audio-stream", "1")
    assert [x["text"] for x in lines] == [x["text"] for x in wav_reference]


def _refused(tmp_path: Path, source: str, *extra: str) -> str:
    """Run against ``source``; it must fail with exit 2 and one line, leaving earlier outputs as they were."""
    profile = write_profile(tmp_path / "pair.yaml", PAIR_PROFILE.format(input="mic", max_segment="null"))
    kept = tmp_path / "earlier.srt"
    kept.write_text("1\n00:00:01,000 --> 00:00:02,000\nkept\n\n", encoding="utf-8")
    wav = tmp_path / "earlier.wav"
    soundfile.write(wav, [0.1] * 2400, 24_000)
    before = wav.read_bytes()
    result = run_cli(
        "run", str(profile), "--emulator", "--input", source, "--no-play",
        "--subtitles", str(kept), "--audio-out", str(wav), *extra, timeout=60,
    )  # fmt: skip
    assert result.code == 2, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("translator: error:")]
    assert len(errors) == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert kept.read_text(encoding="utf-8").endswith("kept\n\n")
    assert wav.read_bytes() == before
    return errors[0]


def test_a_corrupt_mp4_is_one_line_and_exit_2(tmp_path: Path) -> None:
    good = make_video(SPEECH, tmp_path / "good.mp4", VIDEOS["mp4-aac"][1])
    broken = tmp_path / "broken.mp4"
    data = good.read_bytes()
    broken.write_bytes(data[:64] + bytes(len(data) // 8))  # the header's start, then zeros
    line = _refused(tmp_path, str(broken))
    assert "broken.mp4" in line


def test_a_video_without_sound_is_one_line_and_exit_2(tmp_path: Path) -> None:
    video = make_silent_video(tmp_path / "silent.mp4")
    line = _refused(tmp_path, str(video))
    assert "no audio stream" in line and "video h264" in line


def test_a_refused_url_is_one_line_and_exit_2(tmp_path: Path) -> None:
    from tests.e2e.media import free_port

    line = _refused(tmp_path, f"http://user:hunter22@127.0.0.1:{free_port()}/live.m3u8?token=abc123")
    assert "Connection refused" in line
    assert "hunter22" not in line and "abc123" not in line  # credentials in a URL are never shown


def test_an_audio_stream_that_does_not_exist_is_one_line_and_exit_2(tmp_path: Path) -> None:
    video = make_video(SPEECH, tmp_path / "one.mp4", VIDEOS["mp4-aac"][1])
    line = _refused(tmp_path, str(video), "--audio-stream", "3")
    assert "--audio-stream 3" in line and "1 audio stream" in line


@pytest.mark.parametrize("kind", ["mp4", "hls-vod"])
async def test_a_finite_file_behind_a_url_runs_fast(
    tmp_path: Path, wav_reference: list[dict[str, Any]], kind: str
) -> None:
    """A container with a duration behind HTTP (an MP4, a finished HLS playlist) is a file: --fast works."""
    from aiohttp import web

    from tests.e2e.conftest import run_cli_async
    from tests.e2e.media import ffmpeg

    site_dir = tmp_path / "site"
    site_dir.mkdir()
    if kind == "mp4":
        make_video(SPEECH, site_dir / "talk.mp4", VIDEOS["mp4-aac"][1])
        name = "talk.mp4"
    else:
        ffmpeg("-i", str(SPEECH), "-c:a", "aac", "-f", "hls", "-hls_time", "4",
               "-hls_playlist_type", "vod", str(site_dir / "talk.m3u8"))  # fmt: skip
        name = "talk.m3u8"
    app = web.Application()
    app.router.add_static("/", site_dir)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    profile = write_profile(tmp_path / "pair.yaml", PAIR_PROFILE.format(input="mic", max_segment="null"))
    try:
        result = await run_cli_async(
            "run", str(profile), "--emulator", "--scenario", str(SCENARIO),
            "--input", f"http://127.0.0.1:{port}/{name}", "--fast", "--no-play", "--quiet",
            "--subtitles", str(tmp_path / "lines.jsonl"), timeout=120,
        )  # fmt: skip
    finally:
        await runner.cleanup()
    assert result.code == 0, result.stderr[-2000:]
    assert '"live": false' in result.stderr
    lines = [x for x in read_jsonl(tmp_path / "lines.jsonl") if x["kind"] == "translation"]
    lines.sort(key=_start)
    assert [x["text"] for x in lines] == [x["text"] for x in wav_reference]
    _assert_same_times(lines, wav_reference, 0, quiet_lead_in=kind == "hls-vod")


def test_an_audio_stream_for_a_device_is_one_line_and_exit_2(tmp_path: Path) -> None:
    line = _refused(tmp_path, "mic", "--audio-stream", "1")
    assert "--audio-stream" in line and "'mic' is a device" in line
