"""Output planning and staged writes: nothing a previous run wrote is lost to a failed start.

Two steps, both before the run streams anything:

1. ``plan_outputs`` (pure but for a few ``stat`` calls) turns the command line and the
   profile into concrete paths and refuses, in one line each, what cannot work: an
   unknown ``{placeholder}``, a wrong extension, two outputs on one file, several
   targets interleaved in one subtitle file, a path under a file.
2. ``StagedOutputs.create`` makes the missing folders and one empty temporary file per
   output *beside* its target (``.NAME.XXXX.partial.EXT``). The writers write there.
   The first cue or audio (``publish_all``, called by the app on the first final
   result) renames every temporary file over its target; a run that ends without
   any result publishes them at its normal end. A run that fails before its first
   result deletes them: the previous run's files stay byte-identical.

``-`` means stdout, for ``--subtitles`` and ``--stats`` alike; ``--audio-out`` refuses it.
The command line overrides the profile: any ``--subtitles`` replaces every
``directions[].subtitles``; ``--audio-out`` replaces every ``directions[].audio_out``.
Paths in a profile are relative to the profile's folder; command-line paths to the
current folder.
"""

from __future__ import annotations

import os
import string
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from translator.errors import UsageError
from translator.profile.model import Profile

log = structlog.get_logger(__name__)

STDOUT = "-"
SUBTITLE_SUFFIXES = (".srt", ".vtt", ".jsonl")
PLACEHOLDERS = ("target", "source")


@dataclass(frozen=True)
class SubtitleOutput:
    path: str  # "-" is stdout
    target_language: str | None  # None: every direction's lines


@dataclass(frozen=True)
class OutputPlan:
    subtitles: tuple[SubtitleOutput, ...]
    wav_by_direction: dict[str, str]  # direction key → WAV path
    stats: str | None  # "-" is stdout

    def files(self) -> list[str]:
        """Every file (not stdout) the run will write, once each."""
        paths = [s.path for s in self.subtitles] + list(self.wav_by_direction.values())
        if self.stats is not None:
            paths.append(self.stats)
        return [p for p in dict.fromkeys(paths) if p != STDOUT]


def resolve_profile_path(spec: str, base: Path | None) -> str:
    """A path written in a profile, relative to the profile's folder (mic specs untouched)."""
    if base is None or spec == STDOUT or spec.startswith("mic") or os.path.isabs(spec) or "://" in spec:
        return spec
    return str(base / spec)


def check_pattern(option: str, pattern: str) -> None:
    """Only ``{target}`` and ``{source}``; ``{{``/``}}`` for literal braces."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None]
    except ValueError as e:
        raise UsageError(f"{option} '{pattern}': {e}; write {{{{ and }}}} for literal braces") from None
    for name in fields:
        if name not in PLACEHOLDERS:
            shown = "{" + name + "}"
            raise UsageError(
                f"{option} '{pattern}': unknown placeholder {shown}; use {{target}} or {{source}}"
            )


def plan_outputs(
    profile: Profile,
    *,
    subtitles: Sequence[str] = (),
    audio_out: str | None = None,
    stats: str | None = None,
    profile_dir: Path | None = None,
) -> OutputPlan:
    one_to_many = len({d.source for d in profile.directions}) < len(profile.directions)
    targets = sorted({d.target for d in profile.directions})
    roles: dict[str, str] = {}

    def claim(path: str, role: str) -> None:
        if path == STDOUT:
            return
        key = os.path.normcase(os.path.realpath(path))
        other = roles.setdefault(key, role)
        if other != role:
            raise UsageError(f"{other} and {role} both write {path}; give each output its own path")
        _check_writable(path, role)

    wanted: list[SubtitleOutput] = []
    for pattern in subtitles:  # the command line: one file, or one per direction with {target}
        check_pattern("--subtitles", pattern)
        per_direction = "{target}" in pattern or "{source}" in pattern
        if pattern == STDOUT or not per_direction:
            _check_subtitle_suffix("--subtitles", pattern)
            if (
                pattern != STDOUT
                and one_to_many
                and len(targets) > 1
                and not pattern.lower().endswith(".jsonl")
            ):
                stem, ext = os.path.splitext(pattern)
                raise UsageError(
                    f"--subtitles {pattern}: {len(targets)} targets ({', '.join(targets)}) translate every "
                    f"utterance and would interleave in one file; put {{target}} in the path, "
                    f"e.g. {stem}.{{target}}{ext}"
                )
            wanted.append(SubtitleOutput(pattern, None))
            continue
        for d in profile.directions:
            path = pattern.format(target=d.target, source=d.source)
            _check_subtitle_suffix("--subtitles", path)
            wanted.append(SubtitleOutput(path, d.target))
    if not subtitles:  # the profile's own files, each for its direction's target
        for d in profile.directions:
            for pattern in d.subtitles:
                option = f"{d.key} subtitles"
                check_pattern(option, pattern)
                path = resolve_profile_path(pattern.format(target=d.target, source=d.source), profile_dir)
                _check_subtitle_suffix(option, path)
                wanted.append(SubtitleOutput(path, d.target))
    outs = tuple(dict.fromkeys(wanted))
    for s in outs:  # one file asked for with two contents (a target's, and every one) is refused
        what = f"({s.target_language})" if s.target_language else "(every language)"
        claim(s.path, f"--subtitles {s.path} {what}" if subtitles else f"subtitles {s.path} {what}")

    wavs: dict[str, str] = {}
    for d in profile.directions:
        wav_pattern = audio_out or d.audio_out
        if not wav_pattern:
            continue
        option, base = ("--audio-out", None) if audio_out else (f"{d.key} audio_out", profile_dir)
        check_pattern(option, wav_pattern)
        if "{target}" not in wav_pattern and one_to_many and len(targets) > 1:
            raise UsageError(
                f"{option}: several targets translate every utterance; put {{target}} in the path"
            )
        path = resolve_profile_path(wav_pattern.format(target=d.target, source=d.source), base)
        if path == STDOUT:
            raise UsageError(f"{option} -: WAV cannot go to stdout; give a file name ending in .wav")
        if not path.lower().endswith(".wav"):
            raise UsageError(
                f"{option} {path}: translated speech is written as WAV; use a name ending in .wav"
            )
        wavs[d.key] = path
    for path in dict.fromkeys(wavs.values()):
        claim(path, f"--audio-out {path}")
    if stats is not None:
        claim(stats, f"--stats {stats}")
    return OutputPlan(outs, wavs, stats)


def _check_subtitle_suffix(option: str, path: str) -> None:
    if path == STDOUT:
        return
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in SUBTITLE_SUFFIXES:
        shown = suffix or "no extension"
        raise UsageError(f"{option} {path} has {shown}; use .srt, .vtt or .jsonl (or - for stdout)")


def _check_writable(path: str, role: str) -> None:
    """Refuse, before anything is opened, a path that cannot become a file."""
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{role}: {path} is a folder; give a file name")
    ancestor = p.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UsageError(f"{role}: cannot create folder {p.parent}: {ancestor} is a file")


class StagedFile:
    """One output written under a temporary name beside its target until ``publish``."""

    def __init__(self, target: str) -> None:
        self.target = target
        folder = os.path.dirname(target) or "."
        name = os.path.basename(target)
        stem, ext = os.path.splitext(name)
        fd, self.temp = tempfile.mkstemp(prefix=f".{stem}.", suffix=f".partial{ext}", dir=folder)
        os.close(fd)
        try:
            mode = os.stat(target).st_mode & 0o7777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(self.temp, mode)
        self.published = False

    def publish(self) -> None:
        if not self.published:
            os.replace(self.temp, self.target)
            self.published = True

    def discard(self) -> None:
        if not self.published:
            self.published = True  # nothing left to do either way
            try:
                os.unlink(self.temp)
            except FileNotFoundError:
                pass


class StagedOutputs:
    """Every output file of a run, staged; ``path_for`` gives the name to write to."""

    def __init__(self, files: dict[str, StagedFile]) -> None:
        self._files = files

    @classmethod
    def create(cls, paths: Iterable[str]) -> StagedOutputs:
        files: dict[str, StagedFile] = {}
        try:
            for path in paths:
                folder = os.path.dirname(path) or "."
                try:
                    os.makedirs(folder, exist_ok=True)
                except OSError as e:
                    raise UsageError(
                        f"cannot write {path}: cannot create folder {folder}: {_reason(e)}"
                    ) from None
                try:
                    files[path] = StagedFile(path)
                except OSError as e:
                    raise UsageError(f"cannot write {path}: folder {folder}: {_reason(e)}") from None
        except UsageError:
            for f in files.values():
                f.discard()
            raise
        return cls(files)

    def path_for(self, path: str) -> str:
        staged = self._files.get(path)
        return staged.temp if staged is not None else path

    def publish(self, path: str) -> None:
        staged = self._files.get(path)
        if staged is not None:
            staged.publish()

    def publish_all(self, *, except_: Iterable[str] = ()) -> None:
        skip = set(except_)
        for path, f in self._files.items():
            if path not in skip and not f.published:
                f.publish()
                log.debug("output_published", path=path)

    def discard_unpublished(self) -> None:
        for f in self._files.values():
            f.discard()


def _reason(e: OSError) -> str:
    import errno

    if e.errno == errno.EROFS:
        return "read-only file system"
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if e.errno == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    if e.errno == errno.ENOSPC:
        return "no space left on the device"
    return (e.strerror or str(e)).lower()
