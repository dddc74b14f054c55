"""What each client sent, for tests to assert on (and optionally a JSONL file per connection).

Audio payloads are replaced by their decoded byte length (``"audio": 4800``), so a
record of an hour's session stays small. Credentials are never recorded.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any


@dataclass
class ConnectionRecord:
    index: int
    session_id: str
    model: str
    query: dict[str, str]
    started_at_s: float = field(default_factory=time.time)
    received: list[dict[str, Any]] = field(default_factory=list)
    sent_types: list[str] = field(default_factory=list)
    close_code: int | None = None
    """The code the emulator closed with (1006 for an abort), else the client's."""
    ended_at_s: float | None = None
    ended: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _file: IO[str] | None = field(default=None, repr=False)

    def open_file(self, record_dir: Path) -> Path:
        record_dir.mkdir(parents=True, exist_ok=True)
        path = record_dir / f"{self.index:04d}-{self.session_id}.jsonl"
        self._file = path.open("w", encoding="utf-8")
        return path

    def add_received(self, event: dict[str, Any]) -> dict[str, Any]:
        entry = dict(event)
        if isinstance(entry.get("audio"), str):
            entry["audio"] = len(entry["audio"]) * 3 // 4 - entry["audio"][-2:].count("=")
        self.received.append(entry)
        if self._file is not None:
            line = {"t_ms": int((time.time() - self.started_at_s) * 1000), **entry}
            self._file.write(json.dumps(line, ensure_ascii=False) + "\n")
        return entry

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [e for e in self.received if e.get("type") == type_]

    def close(self, close_code: int | None) -> None:
        self.close_code = close_code
        self.ended_at_s = time.time()
        self.ended.set()
        if self._file is not None:
            self._file.close()
            self._file = None
