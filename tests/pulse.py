"""A throw-away PulseAudio daemon with two null sinks, for tests and benchmark scripts.

``vspk`` stands in for the speaker (record what was played from ``vspk.monitor``),
``vmic`` for the microphone (play into ``vmic``, capture from ``vmic.monitor``).
PortAudio reaches the daemon through the ALSA ``pulse`` plugin (Debian's
``/etc/alsa/conf.d/99-pulse.conf`` makes ``default`` point at PulseAudio whenever a
daemon answers), so the daemon and its environment must exist *before*
``sounddevice`` is imported: PortAudio lists devices once.

Usage::

    pulse = PulseAudio.start()
    os.environ.update(pulse.env)
    import sounddevice  # now sees the ALSA "pulse" and "default" devices
    ...
    pulse.stop()

``PULSE_SINK`` / ``PULSE_SOURCE`` in ``os.environ`` pick the sink or source for each
stream opened afterwards (libpulse reads them on every connection).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SINKS = ("vspk", "vmic")
SPEAKER_SINK = "vspk"
MIC_SINK = "vmic"
MIC_SOURCE = "vmic.monitor"
SPEAKER_MONITOR = "vspk.monitor"


AUDIO_NICE = -10  # the CFS weight of nice -10 is 9x that of nice 0


def audio_priority(pid: int | str = "self") -> None:
    """Raise a process, and what it starts from then on, to ``AUDIO_NICE`` when allowed.

    A desktop gives its audio path priority (rtkit lends PulseAudio real-time scheduling):
    a starved audio client underruns and the null sink plays silence in its place, which
    shifts or garbles what the device tests compare. The kernel shares the CPU first
    between autogroups (one per session: a shell, a daemon, ``stress-ng`` started from
    another terminal) and applies a nice value only inside its group, so the group's own
    nice is raised too. Without the right (not root) this does nothing.
    """
    if pid == "self":
        try:
            os.setpriority(os.PRIO_PROCESS, 0, AUDIO_NICE)
        except PermissionError:
            pass
    set_autogroup_nice(AUDIO_NICE, pid)


def autogroup_nice() -> int:
    """This process's autogroup nice value (0 where there is no autogroup scheduling)."""
    try:
        return int(Path("/proc/self/autogroup").read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return 0


def raise_nice() -> None:
    """``AUDIO_NICE`` for this process alone (for ``preexec_fn``: the autogroup is the
    caller's session's, which the caller raises for as long as it wants it)."""
    try:
        os.setpriority(os.PRIO_PROCESS, 0, AUDIO_NICE)
    except PermissionError:
        pass


def set_autogroup_nice(nice: int, pid: int | str = "self") -> None:
    try:
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))
    except OSError:  # no autogroup scheduling here, or no right to raise it
        pass


class PulseStartError(RuntimeError):
    """The daemon could not be started or did not answer."""


@dataclass
class PulseAudio:
    runtime_dir: Path
    env: dict[str, str]
    keepalives: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @classmethod
    def start(cls, rate_hz: int = 24_000, timeout_s: float = 10.0) -> PulseAudio:
        for tool in ("pulseaudio", "pactl", "pacat"):
            if shutil.which(tool) is None:
                raise PulseStartError(f"{tool} not found: install pulseaudio and pulseaudio-utils")
        runtime_dir = Path(tempfile.mkdtemp(prefix="translator-pulse-"))
        runtime_dir.chmod(0o700)
        env = {
            "XDG_RUNTIME_DIR": str(runtime_dir),
            "PULSE_SERVER": f"unix:{runtime_dir}/pulse/native",
        }
        full_env = {**os.environ, **env}
        args = [
            "pulseaudio",
            "--daemonize=yes",
            "--exit-idle-time=-1",
            "--system=false",
            "--disallow-exit",
            "-n",
            "--load=module-native-protocol-unix",
        ]
        args += [f"--load=module-null-sink sink_name={name} rate={rate_hz} channels=1" for name in SINKS]
        done = subprocess.run(
            args, env=full_env, capture_output=True, text=True, check=False, preexec_fn=raise_nice
        )
        if done.returncode != 0:
            raise PulseStartError(f"pulseaudio failed ({done.returncode}): {done.stderr.strip()}")
        pulse = cls(runtime_dir, env)
        pid = pulse.pid()
        if pid:  # the daemon made its own session (and so autogroup) when it daemonized
            audio_priority(pid)
        deadline = time.monotonic() + timeout_s
        while pulse.pactl("info", check=False).returncode != 0:
            if time.monotonic() > deadline:
                pulse.stop()
                raise PulseStartError("pulseaudio started but does not answer")
            time.sleep(0.05)
        pulse.pactl("set-default-sink", SPEAKER_SINK)
        pulse.pactl("set-default-source", MIC_SOURCE)
        # An idle null sink runs with ~2 s of latency; a steady stream of silence keeps it at ~20 ms.
        for sink in SINKS:
            pulse.keepalives.append(
                subprocess.Popen(
                    [
                        "pacat",
                        "--playback",
                        "--raw",
                        f"--device={sink}",
                        f"--rate={rate_hz}",
                        "--channels=1",
                        "--format=s16le",
                        "--latency-msec=20",
                        "/dev/zero",
                    ],
                    stdin=subprocess.DEVNULL,
                    env=full_env,
                    preexec_fn=raise_nice,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        pulse.warm_up(timeout_s)
        return pulse

    def warm_up(self, timeout_s: float) -> None:
        """Record briefly from each monitor: the first recording after start-up waits ~1.7 s for data.

        Then keep one recording stream on each monitor, so they stay at low latency.
        """
        full_env = {**os.environ, **self.env}
        readers = [
            subprocess.Popen(
                _parec_command(sink),
                env=full_env,
                preexec_fn=raise_nice,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            for sink in SINKS
        ]
        deadline = time.monotonic() + timeout_s
        try:
            for reader in readers:
                assert reader.stdout is not None
                got = 0
                while got < 4800:  # 100 ms of audio
                    if time.monotonic() > deadline:
                        raise PulseStartError("pulseaudio monitors deliver no audio")
                    got += len(reader.stdout.read1(4800))
        finally:
            for reader in readers:
                reader.terminate()
                reader.wait(timeout=5)
        for sink in SINKS:
            self.keepalives.append(
                subprocess.Popen(
                    _parec_command(sink),
                    env=full_env,
                    preexec_fn=raise_nice,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )

    def pactl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pactl", *args], env={**os.environ, **self.env}, capture_output=True, text=True, check=check
        )

    def pid(self) -> int:
        """The daemon's process id (0 if it wrote none)."""
        try:
            return int((self.runtime_dir / "pulse" / "pid").read_text().strip())
        except (OSError, ValueError):
            return 0

    def stop(self) -> None:
        for proc in self.keepalives:
            proc.terminate()
        for proc in self.keepalives:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.keepalives.clear()
        pid = self.pid()
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.05)
        shutil.rmtree(self.runtime_dir, ignore_errors=True)


def _parec_command(sink: str) -> list[str]:
    """Record a sink's monitor: 24 kHz mono s16le with a short latency."""
    return [
        "parec",
        "--raw",
        f"--device={sink}.monitor",
        "--rate=24000",
        "--channels=1",
        "--format=s16le",
        "--latency-msec=20",
    ]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
