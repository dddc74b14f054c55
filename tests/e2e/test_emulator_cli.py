"""`translator emulator` in one process, a plain-SDK conversation in another (issue 2's demo)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import ROOT, SAMPLES, start_cli


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_emulator_command_serves_a_plain_sdk_conversation(tmp_path: Path) -> None:
    port = _free_port()
    server = start_cli("emulator", "--port", str(port), "--scenario", str(SAMPLES / "en-es-sample.yaml"))
    try:
        assert server.stderr is not None
        for line in server.stderr:  # wait until it listens
            if "emulator_listening" in line:
                break
        client = subprocess.run(
            [
                sys.executable,
                "scripts/sdk_conversation.py",
                "--url",
                f"http://127.0.0.1:{port}",
                "--speed",
                "4",
                "--out",
                str(tmp_path / "translated.wav"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=15)
    assert client.returncode == 0, client.stderr[-2000:]
    for phrase in ("Buenos días a todos", "Where is the train station?", "see you there at three"):
        assert phrase in client.stdout
    assert (tmp_path / "translated.wav").stat().st_size > 48_000
    assert server.returncode == 0, stderr[-2000:]
    assert "emulator_connection" in stderr
