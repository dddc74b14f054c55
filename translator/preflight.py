"""What ``translator check`` reports: everything a run would find wrong, before it runs.

Pure-ish: it looks at files and lists audio devices, opens no stream and no connection.
Errors are what would stop a run (exit 2): an input file that is missing or unreadable,
a named microphone or speaker that does not exist, an impossible output path. Warnings
are what a run would say and go on with: no default input or output device, a profile
field the chosen turn detection ignores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from translator.errors import TranslatorError
from translator.outputs import plan_outputs, resolve_profile_path
from translator.profile.model import Profile


@dataclass
class Findings:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def ignored_fields(profile: Profile) -> list[tuple[str, str]]:
    """(field, reason) for profile fields the run will ignore (the run logs each one).
    None today: ``max_segment_ms`` holds for every turn type since the client cuts long
    service turns too."""
    return []


def check(profile: Profile, profile_dir: Path | None) -> Findings:
    found = Findings()
    for name, reason in ignored_fields(profile):
        found.warnings.append(f"{name} is ignored: {reason}")
    try:
        plan_outputs(profile, profile_dir=profile_dir)
    except TranslatorError as e:
        found.errors.append(str(e))
    inputs = dict.fromkeys(resolve_profile_path(profile.input_of(d), profile_dir) for d in profile.directions)
    for spec in inputs:
        _check_input(spec, found)
    outputs = dict.fromkeys(profile.output_of(d) for d in profile.directions)
    for spec in outputs:
        _check_output(spec, found)
    return found


def _check_input(spec: str, found: Findings) -> None:
    from translator.audio import AudioError
    from translator.audio.devices import list_devices, match_device

    if spec == "mic" or spec.startswith("mic:"):
        name = spec[4:] or "default"
        try:
            match_device(list_devices(), name, "input")
        except AudioError as e:
            # no default microphone: --emulator still runs (with the bundled sample)
            (found.warnings if name == "default" else found.errors).append(f"input {spec}: {e}")
        return
    from translator.audio.file_source import FileSource

    path = Path(spec).expanduser()
    if not path.exists():
        found.errors.append(f"input {spec}: the audio file does not exist")
        return
    try:
        source = FileSource(path)
    except AudioError as e:
        found.errors.append(f"input {spec}: {e}")
        return
    source.close()


def _check_output(spec: str, found: Findings) -> None:
    from translator.audio import AudioError
    from translator.audio.devices import list_devices, match_device

    if spec.strip().lower() == "none":
        return
    default = spec.strip().lower() in ("", "default")
    try:
        match_device(list_devices(), "default" if default else spec, "output")
    except AudioError as e:
        if default:
            found.warnings.append(f"output: {e}; a run goes on without playing the translation")
        else:
            found.errors.append(f"output {spec!r}: {e}")
