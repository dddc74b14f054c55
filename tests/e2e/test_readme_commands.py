"""Issue 12 item 17: the README's commands work as written after the quickstart."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.e2e.conftest import ROOT, SAMPLES, run_cli, start_cli

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_docs_run_scripts_with_the_venv_python() -> None:
    bare = []
    for doc in DOCS:
        for n, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"(?<![\w/.])python3? scripts/", line):
                bare.append(f"{doc.name}:{n}: {line.strip()}")
    assert bare == [], bare  # bare `python` is the system one after the quickstart


def test_docs_name_the_real_bench_duration() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "2½ minutes" not in readme


@pytest.mark.parametrize("profile", sorted((ROOT / "configs").glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_profiles_match_the_schema_read_as_yaml_1_1(profile: Path) -> None:
    schema = json.loads(run_cli("schema").stdout)
    data = yaml.safe_load(profile.read_text(encoding="utf-8"))  # PyYAML is a YAML 1.1 reader
    jsonschema.validate(data, schema)


def test_sdk_conversation_runs_cleanly_and_leaves_no_file(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = start_cli(
        "emulator",
        "--port",
        str(port),
        "--scenario",
        str(SAMPLES / "en-es-sample.yaml"),
        "--model-delay-ms",
        "0",
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                import time

                time.sleep(0.1)
        proc = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "sdk_conversation.py"), "--url", f"http://127.0.0.1:{port}",
             "--speed", "4"],
            capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False,
        )  # fmt: skip
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "4 turns" in proc.stdout and "Perfect, see you there at three." in proc.stdout
    assert "Unexpected WebSocket message type" not in proc.stderr + proc.stdout
    assert list(tmp_path.iterdir()) == []  # no translated.wav left behind
