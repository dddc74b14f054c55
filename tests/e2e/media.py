"""Test media made with ffmpeg from the test speech, and a live stream served by ffmpeg itself."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

BLACK_VIDEO = ["-f", "lavfi", "-i", "color=c=black:s=160x120:r=10"]

VIDEOS = {
    # name: (file name, audio codec arguments)
    "mp4-aac": ("talk.mp4", ["-c:v", "libx264", "-c:a", "aac"]),
    "mkv-opus": ("talk.mkv", ["-c:v", "libx264", "-c:a", "libopus"]),
    # Vorbis at its default quality (-q:a 3) leaves noise at -49 dBFS in the pauses, enough to lift
    # the energy segmenter's noise floor over a soft word; -q:a 6 keeps the pauses quiet.
    "webm-vorbis": ("talk.webm", ["-c:v", "libvpx", "-c:a", "libvorbis", "-q:a", "6"]),
}


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True, timeout=120)


def make_video(speech: Path, out: Path, codecs: list[str], audio_offset_s: float = 0.0) -> Path:
    """A black video with ``speech`` as its sound, the sound starting ``audio_offset_s`` into the video."""
    offset = ["-itsoffset", f"{audio_offset_s}"] if audio_offset_s else []
    duration = ["-t", f"{_duration_s(speech) + audio_offset_s:.2f}"]
    inputs = [*BLACK_VIDEO, *offset, "-i", str(speech)]
    ffmpeg(*inputs, "-map", "0:v", "-map", "1:a", *codecs, *duration, str(out))
    return out


def make_silent_video(out: Path) -> Path:
    ffmpeg(*BLACK_VIDEO, "-t", "3", "-c:v", "libx264", "-an", str(out))
    return out


def _duration_s(path: Path) -> float:
    import soundfile

    return float(soundfile.info(str(path)).duration)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def serve_live(speech: Path, port: int) -> subprocess.Popen[bytes]:
    """ffmpeg reading ``speech`` at its real pace (``-re``), serving MPEG-TS/AAC over HTTP to one client."""
    proc = subprocess.Popen(
        [
            "ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-i", str(speech),
            "-c:a", "aac", "-f", "mpegts", "-listen", "1", f"http://127.0.0.1:{port}/live.ts",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not _listening(port):  # not by connecting: it serves one client
        time.sleep(0.05)
    return proc


def _listening(port: int) -> bool:
    """Whether a socket listens on ``port`` (from /proc/net/tcp, state 0A)."""
    rows = Path("/proc/net/tcp").read_text(encoding="ascii").splitlines()[1:]
    return any(r.split()[1].endswith(f":{port:04X}") and r.split()[3] == "0A" for r in rows)
