"""Profile + direction → the ``session.update`` payload (pure)."""

from __future__ import annotations

from typing import Any

from translator.profile.instructions import interpreter_instructions
from translator.profile.model import AzureVoice, Direction, Profile
from translator.profile.turns import TurnDetection
from translator.voicelive.wire import INPUT_RATE_HZ


def session_config(profile: Profile, direction: Direction) -> dict[str, Any]:
    """The full ``session`` object of our ``session.update`` for one direction."""
    languages = sorted(
        {d.source for d in profile.directions if profile.input_of(d) == profile.input_of(direction)}
    )
    transcription: dict[str, Any] = {
        "model": profile.transcription.model,
        # A paired input is transcribed with automatic detection among the pair's languages,
        # so each session gets the right words whichever language was spoken.
        "language": ",".join(languages) if len(languages) > 1 else direction.source,
    }
    if profile.transcription.phrase_list:
        transcription["phrase_list"] = list(profile.transcription.phrase_list)
    if profile.transcription.custom_speech:
        transcription["custom_speech"] = dict(profile.transcription.custom_speech)
    voice = direction.effective_voice()
    ap = profile.audio_processing
    config: dict[str, Any] = {
        "modalities": ["text", "audio"],
        "instructions": interpreter_instructions(direction, profile.glossary, profile.style),
        "voice": voice.model_dump(exclude_none=True) if isinstance(voice, AzureVoice) else voice,
        "input_audio_format": "pcm16",
        "input_audio_sampling_rate": INPUT_RATE_HZ,
        "output_audio_format": "pcm16",
        "input_audio_transcription": transcription,
        "turn_detection": turn_detection(profile.turn_detection),
        "input_audio_noise_reduction": {"type": "azure_deep_noise_suppression"}
        if ap.noise_suppression
        else None,
        "input_audio_echo_cancellation": {"type": "server_echo_cancellation"}
        if ap.echo_cancellation
        else None,
        "temperature": 0.6,
    }
    if len(languages) > 1:
        # Several languages on one input: ask which one was detected (phrases[].locale).
        config["include"] = ["item.input_audio_transcription.phrases"]
    return config


def turn_detection(td: TurnDetection) -> dict[str, Any] | None:
    """The wire ``turn_detection``. ``client``: none (manual turns: the client segments
    and commits, see ``segmenter.py``). The service's own detectors commit turns, but
    never start or cancel a response: the client creates every response itself, one at
    a time and in order, each with its utterance as its context (``turns_server.py``)."""
    if td.type == "client":
        return None
    wire: dict[str, Any] = {
        "type": td.type,
        "threshold": td.threshold,
        "prefix_padding_ms": td.prefix_padding_ms,
        "silence_duration_ms": td.silence_duration_ms,
        "speech_duration_ms": td.speech_duration_ms,
        "create_response": False,
        "interrupt_response": False,
        "auto_truncate": False,
    }
    if td.type != "server_vad":
        wire["remove_filler_words"] = td.remove_filler_words
        if td.languages:
            wire["languages"] = list(td.languages)
    if td.end_of_utterance is not None:
        eou = td.end_of_utterance
        wire["end_of_utterance_detection"] = {
            "model": eou.model,
            "threshold_level": eou.threshold_level,
            "timeout_ms": eou.timeout_ms,
        }
    return wire
