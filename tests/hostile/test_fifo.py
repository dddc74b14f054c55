"""A FIFO as input: no writer yet, or a writer that stalls, never blocks the event loop."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

from tests.e2e.conftest import SAMPLES, start_cli

BOUND_S = 60.0


def _profile(tmp_path: Path, fifo: Path) -> Path:
    path = tmp_path / "fifo.yaml"
    path.write_text(
        f"input: {fifo}\ndirections:\n  - {{source: en-US, target: es-ES}}\n"
        "  - {source: es-ES, target: en-US}\nturn_detection: {max_segment_ms: null}\n",
        encoding="utf-8",
    )
    return path


def test_fifo_without_a_writer_still_stops_on_ctrl_c(tmp_path: Path) -> None:
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    proc = start_cli("run", str(_profile(tmp_path, fifo)), "--emulator", "--no-play", "--fast")
    seen: list[str] = []
    try:
        # Ctrl-C once both sessions are up, the input still waiting for a writer (a fixed
        # 4 s wait came before the sessions on a loaded machine: the run had not started)
        assert proc.stderr is not None
        while sum('"event": "session_started"' in line for line in seen) < 2:
            line = proc.stderr.readline()
            assert line, "".join(seen)[-2000:]  # the run ended before its sessions were up
            seen.append(line)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=BOUND_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    err = "".join(seen) + err
    assert "Traceback" not in err
    assert '"event": "stopping"' in err


def test_stalled_fifo_writer_freezes_nothing(tmp_path: Path) -> None:
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    data = (SAMPLES / "en-es-sample.wav").read_bytes()
    cut = 44 + 24_000 * 2 * 12  # the first 12 s (the sample is 24 kHz mono 16-bit)

    def writer() -> None:
        with open(fifo, "wb") as f:
            f.write(data[:cut])
            f.flush()
            time.sleep(15)  # a stalled writer, longer than --stall-timeout
            f.write(data[cut:])

    thread = threading.Thread(target=writer, daemon=True)
    proc = start_cli(
        "run", str(_profile(tmp_path, fifo)), "--emulator", "--no-play", "--fast",
        "--stall-timeout", "4", "--subtitles", str(tmp_path / "out.jsonl"),
    )  # fmt: skip
    thread.start()
    try:
        out, err = proc.communicate(timeout=BOUND_S * 2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err[-2000:]
    assert '"event": "reconnecting"' not in err, "a stalled input was taken for a stalled service"
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert sum('"kind": "translation"' in line for line in lines) == 4
