"""Test-session set-up: a private PulseAudio daemon with virtual speaker and microphone,
started only when a selected test needs it (marker ``needs_pulse``).

PortAudio lists devices once, when ``sounddevice`` is first imported, so the daemon
must be up before that. It is started after collection and deselection (``-m``,
``-k``, ``--quick``), before the first test runs, and only if a selected test carries
``needs_pulse``; nothing imports ``sounddevice`` at collection time (the audio package
imports it lazily). Should ``sounddevice`` be loaded anyway, PortAudio is
re-initialised once the daemon is up. Under pytest-xdist each worker runs this in its
own process and gets its own daemon (a fresh runtime directory and socket), so
workers never share a virtual device.

If the daemon cannot start the run fails: CI installs PulseAudio, so a missing daemon
is a broken environment.
"""

from __future__ import annotations

import fcntl
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pulse import PulseAudio, PulseStartError

_PULSE = pytest.StashKey[PulseAudio]()


def _start_pulse(config: pytest.Config) -> PulseAudio:
    try:
        pulse = PulseAudio.start()
    except PulseStartError as e:
        raise pytest.UsageError(f"cannot start PulseAudio for the audio tests: {e}") from e
    os.environ.update(pulse.env)
    config.stash[_PULSE] = pulse
    sd = sys.modules.get("sounddevice")
    if sd is not None:  # PortAudio already listed the devices without the daemon: list them again
        sd._terminate()
        sd._initialize()
    return pulse


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """After every deselection: start the daemon if a test that is going to run needs it.

    Under pytest-xdist the real-time tests (``slow``) go to the front of the queue, so
    the longest runs start first and the short ones fill the gaps on the other workers
    (every worker sorts the same way, as xdist requires; ``--dist worksteal`` lets an
    idle worker take queued tests from a busy one).
    """
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    if any(item.get_closest_marker("needs_pulse") for item in items) and _PULSE not in config.stash:
        _start_pulse(config)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    """Under pytest-xdist, device tests take turns (an inter-process lock): real-time audio
    on a starved machine glitches, and in a 4-worker run beside ``stress-ng --cpu 1`` six
    playback tests and all three device e2e tests failed (correlation, xruns, garbled
    captures) while running side by side. Each worker still has its own daemon.
    ``scripts/test.sh`` goes further and runs them after the others, in one process: with
    the lock alone, 5 of 19 still failed beside busy workers; serially, 1 of 19."""
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run_id is None or not item.get_closest_marker("needs_pulse"):
        yield
        return
    path = Path(tempfile.gettempdir()) / f"translator-devices-{run_id}.lock"
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def pytest_unconfigure(config: pytest.Config) -> None:
    pulse = config.stash.get(_PULSE, None)
    if pulse is not None:
        pulse.stop()


@pytest.fixture(scope="session")
def pulse(pytestconfig: pytest.Config) -> PulseAudio:
    """The running daemon (its ``env`` and ``pactl``); only for tests marked ``needs_pulse``."""
    daemon = pytestconfig.stash.get(_PULSE, None)
    if daemon is None:
        raise pytest.UsageError("the pulse fixture is used by a test not marked needs_pulse")
    return daemon
