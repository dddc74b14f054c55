"""Issue 12 items 5 and 6: one Ctrl-C stops connection attempts; a wrong endpoint fails
fast with one line, and stdout (a pipe) gets no reconnect notices."""

from __future__ import annotations

import signal
import socket
import time

from tests.e2e.conftest import SAMPLES, run_cli, start_cli

SAMPLE = str(SAMPLES / "en-es-sample.wav")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_refused_first_connection_fails_fast_with_one_line(tmp_path: object) -> None:
    port = _closed_port()
    started = time.monotonic()
    result = run_cli(
        "run", "configs/en-es.yaml", "--no-play", "--fast", "--input", SAMPLE,
        "--endpoint", f"https://127.0.0.1:{port}", timeout=120,
    )  # fmt: skip
    took = time.monotonic() - started
    assert result.code == 3, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("translator: error:")]
    assert len(errors) == 1 and "cannot reach the service" in errors[0] and "check the endpoint" in errors[0]
    assert "reconnecting" not in result.stderr  # not ten attempts over a minute
    assert "[!" not in result.stdout and "reconnect" not in result.stdout
    assert took < 45, took  # was about 60 s; generous for a loaded machine


def test_an_unknown_host_fails_fast_with_one_line() -> None:
    result = run_cli(
        "run", "configs/en-es.yaml", "--no-play", "--fast", "--input", SAMPLE,
        "--endpoint", "https://no-such-host.invalid", timeout=120,
    )  # fmt: skip
    assert result.code == 3, result.stderr[-2000:]
    assert "cannot reach the service at https://no-such-host.invalid" in result.stderr.splitlines()[-1]


def test_one_ctrl_c_stops_a_run_that_cannot_connect() -> None:
    # A listener that accepts TCP connections and never answers: every attempt hangs
    # until the handshake times out, then the session retries.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        port = silent.getsockname()[1]
        proc = start_cli(
            "run", "configs/en-es.yaml", "--no-play", "--input", SAMPLE,
            "--endpoint", f"http://127.0.0.1:{port}",
        )  # fmt: skip
        try:
            time.sleep(4)
            assert proc.poll() is None, proc.communicate()
            proc.send_signal(signal.SIGINT)  # one Ctrl-C, no second
            _, err = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 130, err[-2000:]
    assert "Ctrl-C again" in err
    errors = [line for line in err.splitlines() if line.startswith("translator: error:")]
    assert len(errors) == 1 and "interrupted while connecting" in errors[0], err[-2000:]
