"""Audio errors. Each carries one line a person can act on.

::

    InputError (translator.errors)   exit status 2
    └── AudioError                   anything audio
        ├── AudioDeviceError         unknown or unusable device; PortAudio missing
        └── AudioFileError           unreadable, broken or unsupported audio file
"""

from __future__ import annotations

from translator.errors import InputError


class AudioError(InputError):
    """Base of the audio errors."""


class AudioDeviceError(AudioError):
    """A device spec matched nothing (the message lists what exists), or a stream failed to open."""


class AudioFileError(AudioError):
    """An audio file could not be read; the message names the file."""
