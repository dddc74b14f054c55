"""All emulator knobs in one dataclass (the Python API's configuration)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from translator.emulator.faults import FaultPlan
from translator.emulator.scenario import Scenario

MAX_APPEND_BYTES = 15 * 1024 * 1024
"""The most audio one ``input_audio_buffer.append`` may carry, as the service documents."""
MAX_INBOUND_FRAME_BYTES = MAX_APPEND_BYTES * 4 // 3 + 1024 * 1024
"""That audio as base64, and room for the JSON around it (was 32 MiB: 48 MB per append)."""
MAX_BUFFERED_MS = 5 * 60 * 1000
"""Uncommitted input audio kept per connection; older audio is dropped (about 29 MB at 24 kHz)."""


@dataclass
class EmulatorOptions:
    accepted_keys: frozenset[str] | None = None
    """Accepted API keys / bearer tokens; None accepts any non-empty one."""
    scenario: Scenario | None = None
    """None: the unscripted echo model."""
    model_delay_ms: int = 300
    """Before the first response delta (a scenario's value wins)."""
    pacing: float = 4.0
    """Audio deltas go out at N x real time; 0 sends as fast as possible."""
    session_max_s: float = 1800.0
    """Expiry cap: ``expires_at`` = connect time + cap."""
    cancel_previous_mode: Literal["cancel", "reject"] = "cancel"
    """A second ``response.create`` cancels the first, or is refused OpenAI-style."""
    send_cleared: bool = True
    """Answer ``input_audio_buffer.clear`` with ``cleared`` (live .NET tests never saw it)."""
    ordering: Literal["auto", "cascaded", "realtime"] = "auto"
    """auto: realtime for gpt-realtime*/gpt-4o-realtime* models (or the scenario's), else cascaded."""
    transcript_delay_ms: int = 0
    """Realtime ordering: the asynchronous transcript waits this long, and for the running response."""
    item_status_on_add: Literal["incomplete", "in_progress"] = "incomplete"
    require_model: bool = False
    """Refuse (HTTP 400) a handshake with neither ``model`` nor agent parameters."""
    reject_unknown_models: bool = True
    """A model name that does not look like one (``gpt-*``, ``phi4*``...): error, then close."""
    record_dir: Path | None = None
    """One JSONL file of client events per connection."""
    faults: FaultPlan = field(default_factory=FaultPlan)
    max_connections: int = 256
    """Open WebSocket connections at once; a handshake beyond answers HTTP 503."""
