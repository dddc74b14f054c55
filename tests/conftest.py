"""Test-session set-up: a private PulseAudio daemon with virtual speaker and microphone,
started only when a selected test needs it (marker ``needs_pulse``).

PortAudio lists devices once, when ``sounddevice`` is first imported, so the daemon
must be up before that. It is started just before the first test that carries
``needs_pulse`` (so not at all when ``-m``, ``-k`` or ``--quick`` leave none, nor in
an xdist worker that runs none: six idle daemons with their keep-alive streams cost a
third of a core); nothing imports ``sounddevice`` at collection time (the audio package
imports it lazily). Should ``sounddevice`` be loaded anyway, PortAudio is
re-initialised once the daemon is up. Under pytest-xdist each worker runs this in its
own process and gets its own daemon (a fresh runtime directory and socket), so
workers never share a virtual device.

If the daemon cannot start the run fails: CI installs PulseAudio, so a missing daemon
is a broken environment.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pulse import PulseAudio, PulseStartError, audio_priority, autogroup_nice, set_autogroup_nice

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


def _worksteal_order(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    """The order that gives each pytest-xdist worker a fair start under ``--dist worksteal``.

    Worksteal hands worker k the k-th contiguous slice of the collection (sizes as
    below), and an idle worker steals from the tail of a busy one's slice. So the first
    slice starts with every device test (one at a time anyway: they take turns), the
    real-time tests (``slow``) are dealt round the other slices, each at its front, and
    the rest fill every slice to its size. Every worker computes the same order, as
    xdist requires.
    """
    sizes, left = [], len(items)
    for k in range(workers):
        sizes.append(left // (workers - k))
        left -= sizes[-1]
    device = [i for i in items if i.get_closest_marker("needs_pulse")]
    slow = [i for i in items if i.get_closest_marker("slow") and not i.get_closest_marker("needs_pulse")]
    rest = [i for i in items if not i.get_closest_marker("slow") and not i.get_closest_marker("needs_pulse")]
    slices: list[list[pytest.Item]] = [[] for _ in range(workers)]
    slices[0] += device
    for n, item in enumerate(slow):
        slices[1 + n % (workers - 1) if workers > 1 else 0].append(item)
    for k, size in enumerate(sizes):
        while len(slices[k]) < size and rest:
            slices[k].append(rest.pop(0))
    ordered = [item for chunk in slices for item in chunk] + rest
    assert len(ordered) == len(items)
    return ordered


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """After every deselection: order the tests for pytest-xdist."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if workers > 1:
        items[:] = _worksteal_order(items, workers)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    """A device test (``needs_pulse``) runs at ``AUDIO_NICE`` with everything it starts
    (the CLI, ``pacat``, ``parec``, Chromium), and under pytest-xdist device tests take
    turns (an inter-process lock), so one runs at a time beside the other workers' tests.

    Device tests are CPU-hungry themselves (a CLI start-up, Chromium): side by side at the
    same raised priority they starved each other's audio. One at a time, raised above the
    rest (with their autogroup, see ``tests/pulse.py``), a busy machine is no longer their
    problem. Two test runs at once take turns the same way. Each worker has its own daemon
    and, under xdist, its own session (so its own autogroup) from its first device test on;
    a run without xdist keeps its session, so that Ctrl-C still reaches it. The priorities
    go back for the next test.
    """
    if not item.get_closest_marker("needs_pulse"):
        yield
        return
    # One lock per user, not per run: two runs at once (two worktrees) take turns too, and
    # the file is reused instead of piling up in the temp folder.
    path = Path(tempfile.gettempdir()) / f"translator-devices-{os.getuid()}.lock"
    before = os.getpriority(os.PRIO_PROCESS, 0)
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _PULSE not in item.config.stash:  # this worker's first device test
            if "PYTEST_XDIST_WORKER" in os.environ:
                with contextlib.suppress(OSError):
                    os.setsid()  # its own autogroup, so that raising it raises no other worker
            _start_pulse(item.config)
        group_before = autogroup_nice()
        audio_priority()
        try:
            yield
        finally:
            os.setpriority(os.PRIO_PROCESS, 0, before)  # lowering needs no right
            set_autogroup_nice(group_before)
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
