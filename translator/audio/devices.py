"""Device listing and device choice. ``sounddevice`` is imported here lazily, never at module import.

A device spec is ``"default"``, an index (``"3"``), or a case-insensitive name substring,
optionally narrowed to a host API with ``@``: ``"headset"``, ``"Headset@WASAPI"``. When a
name matches several devices (Windows lists one device under MME, DirectSound and WASAPI),
the one on the default host API wins, then the lowest index.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

from translator.audio.errors import AudioDeviceError

Kind = Literal["input", "output"]


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    index: int
    name: str
    hostapi: str
    max_input_channels: int
    max_output_channels: int
    default_sample_rate_hz: int
    is_default_input: bool = False
    is_default_output: bool = False

    def channels(self, kind: Kind) -> int:
        return self.max_input_channels if kind == "input" else self.max_output_channels


def import_sounddevice() -> ModuleType:
    """``sounddevice``, or :class:`AudioDeviceError` when PortAudio is missing."""
    try:
        import sounddevice
    except OSError as e:  # the module raises OSError when libportaudio cannot be loaded
        raise AudioDeviceError(f"audio devices unavailable: {e} (install libportaudio2)") from e
    module: ModuleType = sounddevice
    return module


def list_devices() -> list[DeviceInfo]:
    """Every PortAudio device, input and output, with the defaults marked."""
    sd = import_sounddevice()
    try:
        raw: list[dict[str, Any]] = list(sd.query_devices())
        hostapis: list[dict[str, Any]] = list(sd.query_hostapis())
        default_in, default_out = (int(i) for i in sd.default.device)
    except sd.PortAudioError as e:
        raise AudioDeviceError(f"cannot list audio devices: {e}") from e
    # sounddevice's own defaults are -1 unless the program set them; then PortAudio's apply.
    if default_in < 0:
        default_in = _portaudio_default(sd, "input")
    if default_out < 0:
        default_out = _portaudio_default(sd, "output")
    return [
        DeviceInfo(
            index=i,
            name=str(d["name"]),
            hostapi=str(hostapis[d["hostapi"]]["name"]) if d["hostapi"] < len(hostapis) else "?",
            max_input_channels=int(d["max_input_channels"]),
            max_output_channels=int(d["max_output_channels"]),
            default_sample_rate_hz=int(round(float(d["default_samplerate"]))),
            is_default_input=i == default_in and d["max_input_channels"] > 0,
            is_default_output=i == default_out and d["max_output_channels"] > 0,
        )
        for i, d in enumerate(raw)
    ]


def _portaudio_default(sd: ModuleType, kind: Kind) -> int:
    try:
        return int(sd.query_devices(kind=kind)["index"])
    except (sd.PortAudioError, ValueError, KeyError):
        return -1


def format_device_table(devices: list[DeviceInfo]) -> str:
    """A fixed-width table for ``translator devices``; ``>`` marks the default input, ``<`` the output."""
    header = ("", "index", "name", "host API", "in", "out", "rate Hz")
    rows = [
        (
            (">" if d.is_default_input else " ") + ("<" if d.is_default_output else " "),
            str(d.index),
            d.name,
            d.hostapi,
            str(d.max_input_channels),
            str(d.max_output_channels),
            str(d.default_sample_rate_hz),
        )
        for d in devices
    ]
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
    right = {1, 4, 5, 6}

    def line(row: tuple[str, ...]) -> str:
        cells = [
            cell.rjust(w) if c in right else cell.ljust(w)
            for c, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    legend = "> default input, < default output" if devices else "no audio devices found"
    return "\n".join([line(header), *(line(r) for r in rows), legend])


def describe(devices: list[DeviceInfo], kind: Kind) -> str:
    usable = [d for d in devices if d.channels(kind) > 0]
    if not usable:
        return f"no {kind} devices exist"
    return f"available {kind} devices: " + ", ".join(f"{d.index} {d.name!r} ({d.hostapi})" for d in usable)


def match_device(devices: list[DeviceInfo], spec: str, kind: Kind) -> DeviceInfo:
    """The device ``spec`` names among ``devices`` (pure; see the module docstring for the syntax)."""
    usable = [d for d in devices if d.channels(kind) > 0]
    text = spec.strip()
    if text.lower() in ("", "default"):
        marked = [d for d in usable if (d.is_default_input if kind == "input" else d.is_default_output)]
        found = marked[0] if marked else None
        if found is None:
            raise AudioDeviceError(f"there is no default {kind} device; {describe(devices, kind)}")
        return found
    if text.isdigit():
        found = next((d for d in devices if d.index == int(text)), None)
        if found is None or found.channels(kind) == 0:
            what = "does not exist" if found is None else f"has no {kind} channels"
            raise AudioDeviceError(f"{kind} device {text} {what}; {describe(devices, kind)}")
        return found
    name, _, hostapi = text.partition("@")
    hits = [
        d
        for d in usable
        if name.strip().lower() in d.name.lower() and hostapi.strip().lower() in d.hostapi.lower()
    ]
    if not hits:
        raise AudioDeviceError(f"no {kind} device matches {spec!r}; {describe(devices, kind)}")
    exact = [d for d in hits if d.name.lower() == name.strip().lower()]
    default_hostapis = {d.hostapi for d in devices if d.is_default_input or d.is_default_output}
    ranked = sorted(exact or hits, key=lambda d: (d.hostapi not in default_hostapis, d.index))
    return ranked[0]


def resolve_device(spec: str, kind: Kind) -> DeviceInfo:
    """The device ``spec`` names, or :class:`AudioDeviceError` whose message lists the choices."""
    return match_device(list_devices(), spec, kind)
