"""System audio: what an output device plays, captured from its PulseAudio/PipeWire monitor source.

Every PulseAudio sink (and every PipeWire sink, through pipewire-pulse) has a monitor
source, ``<sink>.monitor``, that carries what the sink plays. PortAudio reaches it
through ALSA's ``pulse`` device, which records from the source named in
``$PULSE_SOURCE`` (libpulse reads it when the stream connects): so a loopback input is
a :class:`MicSource` on the ``pulse`` device with ``PULSE_SOURCE`` set while it opens.

``loopback`` is the default sink's monitor (PulseAudio's ``@DEFAULT_MONITOR@``);
``loopback:NAME`` the monitor of the sink whose name contains ``NAME`` (as
``pactl list short sinks`` lists them; a ``.monitor`` name is taken as it is).
Where there is no PulseAudio (macOS, Windows), a virtual device (BlackHole, VB-Cable)
turns the output into an input, and ``mic:NAME`` captures it: the error says so.
"""

from __future__ import annotations

import shutil
import subprocess

from translator.audio.devices import DeviceInfo, list_devices
from translator.audio.errors import AudioDeviceError
from translator.audio.mic import MicSource

DEFAULT_MONITOR = "@DEFAULT_MONITOR@"
_ELSEWHERE = (
    "system audio capture needs PulseAudio or PipeWire (Linux); on macOS install BlackHole, on "
    "Windows VB-Cable, send the sound there and use --input mic:BlackHole or mic:CABLE"
)


def monitor_source(sinks: list[str] | None, name: str) -> str:
    """The monitor source for ``name`` among ``sinks`` (``None``: the sinks are unknown; trust the name)."""
    text = name.strip()
    if text.lower() in ("", "default"):
        return DEFAULT_MONITOR
    if text.endswith(".monitor") or sinks is None:
        return text if text.endswith(".monitor") else f"{text}.monitor"
    exact = [s for s in sinks if s == text]
    hits = exact or [s for s in sinks if text.lower() in s.lower()]
    if not hits:
        listed = ", ".join(repr(s) for s in sinks) or "none"
        raise AudioDeviceError(f"no output device (PulseAudio sink) matches {name!r}; sinks: {listed}")
    return f"{hits[0]}.monitor"


def list_sinks() -> list[str] | None:
    """Sink names from ``pactl list short sinks``; ``None`` when pactl is missing or fails."""
    pactl = shutil.which("pactl")
    if pactl is None:
        return None
    try:
        done = subprocess.run(
            [pactl, "list", "short", "sinks"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return [line.split("\t")[1] for line in done.stdout.splitlines() if line.count("\t") >= 1]


def pulse_device(devices: list[DeviceInfo]) -> DeviceInfo:
    """PortAudio's ALSA ``pulse`` device, the way to a PulseAudio source."""
    for d in devices:
        if d.name.lower() == "pulse" and d.max_input_channels > 0:
            return d
    raise AudioDeviceError(_ELSEWHERE)


def open_loopback(spec: str, *, sample_rate_hz: int, chunk_ms: int) -> MicSource:
    """``loopback`` or ``loopback:NAME`` → a capture of that output's monitor source."""
    source = monitor_source(list_sinks(), spec.partition(":")[2])
    device = pulse_device(list_devices())
    return MicSource(device, sample_rate_hz=sample_rate_hz, chunk_ms=chunk_ms, pulse_source=source)
