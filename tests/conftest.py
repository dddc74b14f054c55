"""Test-session set-up: a private PulseAudio daemon with virtual speaker and microphone.

Started in ``pytest_configure`` (before any test module can import ``sounddevice``,
since PortAudio lists devices once) and stopped at the end. If it cannot start the
run fails: CI installs PulseAudio, so a missing daemon is a broken environment.
"""

from __future__ import annotations

import os
import sys

import pytest

from tests.pulse import PulseAudio, PulseStartError

_PULSE = pytest.StashKey[PulseAudio]()


def pytest_configure(config: pytest.Config) -> None:
    if "sounddevice" in sys.modules:
        raise pytest.UsageError("sounddevice was imported before the PulseAudio test daemon started")
    try:
        pulse = PulseAudio.start()
    except PulseStartError as e:
        raise pytest.UsageError(f"cannot start PulseAudio for the audio tests: {e}") from e
    os.environ.update(pulse.env)
    config.stash[_PULSE] = pulse


def pytest_unconfigure(config: pytest.Config) -> None:
    pulse = config.stash.get(_PULSE, None)
    if pulse is not None:
        pulse.stop()


@pytest.fixture(scope="session")
def pulse(pytestconfig: pytest.Config) -> PulseAudio:
    """The running daemon (its ``env`` and ``pactl``)."""
    return pytestconfig.stash[_PULSE]
