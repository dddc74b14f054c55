"""Audio I/O: sources (files, microphones), the bounded fan-out queue, playback and the WAV sink.

Only this package touches PortAudio threads. ``sounddevice`` is imported lazily (inside
functions), so machines without PortAudio still run file → file translation.

Module map::

    chunk.py        AudioChunk, the AudioSource protocol
    resample.py     pure: downmix, stateful streaming resampler, re-chunking
    file_source.py  WAV/FLAC/AIFF (libsndfile) → chunks, real-time pacing or as fast as consumed
    av_source.py    any other file and every URL through FFmpeg (PyAV), decoded in a thread
    av_open.py      opening a container or URL with PyAV; FFmpeg errors in one line
    urls.py         pure: which specs are URLs; a URL named without credentials
    timeline.py     pure: decoded frames → samples on the container's timeline (gaps, offsets)
    loopback.py     system audio: a PulseAudio/PipeWire monitor source through PortAudio
    mic.py          InputStream capture → chunks
    source.py       open_source(spec): which reader takes an input
    queue.py        DropOldestAudioQueue: bounded, drops the oldest audio
    devices.py      device listing, table, spec matching
    jitter.py       pure: jitter buffer, ducking gain, soft clipper
    output.py       one OutputStream and the feeds mixed into it
    player.py       Player: routes directions to devices
    wav_writer.py   WAV file with a header valid after every flush
    wav_sink.py     WavSink: translated speech on the input timeline
"""

from translator.audio.chunk import AudioChunk, AudioSource
from translator.audio.devices import DeviceInfo, format_device_table, list_devices
from translator.audio.errors import AudioDeviceError, AudioError, AudioFileError
from translator.audio.file_source import FileSource
from translator.audio.mic import MicSource
from translator.audio.output import DeviceStats
from translator.audio.player import Player, PlayerStats
from translator.audio.queue import AudioQueueClosed, DropOldestAudioQueue
from translator.audio.source import open_source
from translator.audio.wav_sink import WavSink

__all__ = [
    "AudioChunk",
    "AudioDeviceError",
    "AudioError",
    "AudioFileError",
    "AudioQueueClosed",
    "AudioSource",
    "DeviceInfo",
    "DeviceStats",
    "DropOldestAudioQueue",
    "FileSource",
    "MicSource",
    "Player",
    "PlayerStats",
    "WavSink",
    "format_device_table",
    "list_devices",
    "open_source",
]
