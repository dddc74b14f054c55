from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from translator.audio import AudioDeviceError, DeviceInfo, format_device_table, list_devices, open_source
from translator.audio.devices import match_device
from translator.audio.mic import MicSource

WINDOWS_LIKE = [
    DeviceInfo(0, "Microsoft Sound Mapper - Input", "MME", 2, 0, 44_100, is_default_input=True),
    DeviceInfo(1, "Headset Microphone (USB)", "MME", 1, 0, 44_100),
    DeviceInfo(2, "Speakers (Realtek)", "MME", 0, 2, 48_000, is_default_output=True),
    DeviceInfo(3, "Headset Earphone (USB)", "MME", 0, 2, 48_000),
    DeviceInfo(4, "Headset Microphone (USB)", "Windows WASAPI", 1, 0, 48_000),
    DeviceInfo(5, "Headset Earphone (USB)", "Windows WASAPI", 0, 2, 48_000),
]


@pytest.mark.needs_pulse
def test_real_devices_are_listed_with_defaults() -> None:
    devices = list_devices()
    names = {d.name for d in devices}
    assert {"pulse", "default"} <= names
    assert sum(d.is_default_output for d in devices) == 1
    assert sum(d.is_default_input for d in devices) == 1
    default = next(d for d in devices if d.name == "default")
    assert default.hostapi == "ALSA" and default.default_sample_rate_hz > 0


def test_table_lists_every_device_and_marks_defaults() -> None:
    table = format_device_table(WINDOWS_LIKE)
    lines = table.splitlines()
    assert lines[0].split() == ["index", "name", "host", "API", "in", "out", "rate", "Hz"]
    assert len(lines) == 2 + len(WINDOWS_LIKE)
    assert lines[1].startswith(">") and lines[3].startswith(" <")
    assert "Windows WASAPI" in lines[5] and lines[-1] == "> default input, < default output"
    assert len({len(line) for line in lines[1:-1]}) <= 2  # aligned columns (rstrip may shorten)
    assert format_device_table([]).endswith("no audio devices found")


@pytest.mark.parametrize(
    ("spec", "kind", "index"),
    [
        ("default", "input", 0),
        ("default", "output", 2),
        ("3", "output", 3),
        ("headset", "input", 1),  # two host APIs match: the default host API (MME) wins
        ("HEADSET@wasapi", "input", 4),
        ("earphone", "output", 3),
        ("Headset Earphone (USB)@WASAPI", "output", 5),
    ],
)
def test_specs_pick_the_expected_device(spec: str, kind: str, index: int) -> None:
    assert match_device(WINDOWS_LIKE, spec, kind).index == index  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spec", "kind", "message"),
    [
        (
            "bluetooth",
            "output",
            "no output device matches 'bluetooth'; available output devices: 2 'Speakers",
        ),
        ("9", "output", "output device 9 does not exist"),
        ("2", "input", "input device 2 has no input channels"),
        ("speakers", "input", "no input device matches"),
    ],
)
def test_bad_specs_fail_with_one_line_listing_devices(spec: str, kind: str, message: str) -> None:
    with pytest.raises(AudioDeviceError) as info:
        match_device(WINDOWS_LIKE, spec, kind)  # type: ignore[arg-type]
    assert message in str(info.value) and "\n" not in str(info.value)


@pytest.mark.needs_pulse
def test_open_source_resolves_microphones_by_name_and_index() -> None:
    mic = open_source("mic:PULSE")
    assert isinstance(mic, MicSource) and mic.device.name == "pulse"
    index = mic.device.index
    assert isinstance(open_source(f"mic:{index}"), MicSource)
    default = open_source("mic")
    assert isinstance(default, MicSource) and default.device.is_default_input
    with pytest.raises(
        AudioDeviceError, match="no input device matches 'nosuchmic'; available input devices: .*pulse"
    ):
        open_source("mic:nosuchmic")


_NO_AUDIO_SCRIPT = """
import json, sys
from structlog.testing import capture_logs
from translator.audio import AudioDeviceError, Player, list_devices
out = {}
with capture_logs() as logs:
    out["player"] = repr(Player.open({"en-US>es-ES": "default", "es-ES>en-US": "default"}))
out["warnings"] = [e["event"] for e in logs if e["log_level"] == "warning"]
try:
    Player.open({"en-US>es-ES": "Headphones"})
except AudioDeviceError as e:
    out["error"] = str(e)
out["outputs"] = [d.name for d in list_devices() if d.max_output_channels]
print(json.dumps(out))
"""


def test_without_any_output_device_the_player_is_none_unless_one_is_named() -> None:
    env = {**os.environ, "PULSE_SERVER": "unix:/nonexistent/native", "XDG_RUNTIME_DIR": "/nonexistent"}
    done = subprocess.run(
        [sys.executable, "-c", _NO_AUDIO_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {
        "player": "None",
        "warnings": ["audio_output_unavailable"],
        "error": "no output device matches 'Headphones'; no output devices exist",
        "outputs": [],
    }
