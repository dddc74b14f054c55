"""Helpers for the audience tests: the real CLI serving on loopback, a TCP proxy that can cut
a listener's connections, and headless Debian Chromium through Selenium."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.e2e.conftest import start_cli

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    "--window-size=1280,720",
)


class ServedRun:
    """``translator run ... --serve 127.0.0.1:0``; ``port`` is read from the ``serve_listening`` log line."""

    def __init__(self, *args: str) -> None:
        self.proc = start_cli(*args)
        self.log: list[dict[str, Any]] = []
        self.stderr_lines: list[str] = []
        self.stdout_parts: list[str] = []
        self._ready = threading.Event()
        self.port = 0
        # Both pipes have their own reader (communicate() would close stderr under the first).
        self._readers = [
            threading.Thread(target=self._read, daemon=True),
            threading.Thread(target=self._read_stdout, daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        if not self._ready.wait(60):
            self.proc.kill()
            raise AssertionError("the run did not start serving:\n" + "".join(self.stderr_lines[-30:]))

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr_lines.append(line)
            try:
                record = json.loads(line)
            except ValueError:
                continue
            self.log.append(record)
            if record.get("event") == "serve_listening":
                self.port = int(record["port"])
                self._ready.set()
        self._ready.set()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        self.stdout_parts.extend(self.proc.stdout)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait(self, timeout: float = 120) -> tuple[int, str, str]:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(
                f"the run did not end within {timeout:.0f} s:\n" + "".join(self.stderr_lines[-40:])
            ) from None
        for reader in self._readers:
            reader.join(10)  # the pipes reach their end soon after the process exits
        return self.proc.returncode, "".join(self.stdout_parts), "".join(self.stderr_lines)


class TcpProxy:
    """Forwards a local port to ``target_port``; ``cut()`` drops every open connection (a network drop)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
                self.accepted += 1
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> int:
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        return len(conns) // 2

    def close(self) -> None:
        self._server.close()
        self.cut()


@contextmanager
def chromium(pulse_sink: str | None = None, extra_flags: tuple[str, ...] = ()) -> Iterator[Any]:
    """Headless Debian Chromium (Selenium, chromium-driver), a fresh profile, audio to ``pulse_sink``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, *extra_flags):
        options.add_argument(flag)
    profile_dir = tempfile.mkdtemp(prefix="translator-chromium-")
    options.add_argument(f"--user-data-dir={profile_dir}")
    env = dict(os.environ)
    if pulse_sink is not None:
        env["PULSE_SINK"] = pulse_sink
    service = Service(CHROMEDRIVER, env=env)
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()
        subprocess.run(["rm", "-rf", profile_dir], check=False)


def wait_for(predicate: Any, timeout: float, what: str, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


ICECAST_CONFIG = """<icecast>
  <limits><sources>8</sources><clients>20</clients><source-timeout>10</source-timeout><burst-size>0</burst-size></limits>
  <authentication><source-password>{password}</source-password><admin-user>admin</admin-user>
    <admin-password>{password}-admin</admin-password></authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket><port>{port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
  <fileserve>0</fileserve>
  <paths><basedir>/usr/share/icecast2</basedir><logdir>{logdir}</logdir>
    <webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot></paths>
  <logging><errorlog>error.log</errorlog><accesslog>access.log</accesslog><loglevel>3</loglevel></logging>
  <security><chroot>0</chroot>{owner}</security>
</icecast>
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def icecast(workdir: Any, password: str) -> Iterator[int]:
    """Debian's icecast2 on a loopback port with a generated configuration; yields the port."""
    import urllib.request
    from pathlib import Path

    # icecast refuses to run as root: it switches to nobody, who must reach and write its logs
    logdir = Path(tempfile.mkdtemp(prefix="translator-icecast-"))
    logdir.chmod(0o777)
    port = free_port()
    owner = "<changeowner><user>nobody</user><group>nogroup</group></changeowner>"
    config = Path(workdir) / "icecast.xml"
    text = ICECAST_CONFIG.format(
        password=password, port=port, logdir=logdir, owner=owner if os.geteuid() == 0 else ""
    )
    config.write_text(text)
    proc = subprocess.Popen(
        ["icecast2", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(lambda: _answers(urllib.request, port), 60, "icecast2 to listen")  # bounds a hang only
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        subprocess.run(["rm", "-rf", str(logdir)], check=False)


def _answers(request: Any, port: int) -> bool:
    try:
        with request.urlopen(f"http://127.0.0.1:{port}/status-json.xsl", timeout=1) as r:
            return bool(r.status == 200)
    except OSError:
        return False
