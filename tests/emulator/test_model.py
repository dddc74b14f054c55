"""The scripted model on recorded speech: cuts, resends, paired sessions, noise, and the VAD."""

from __future__ import annotations

import numpy as np
from azure.ai.voicelive.models import (
    ServerEventConversationItemInputAudioTranscriptionCompleted,
    TranscriptionPhrase,
)

from tests.emulator.conftest import Recording, fast_options
from tests.emulator.helpers import SPANISH, append, collect, configure, session
from translator.emulator import Emulator
from translator.emulator.codec import resample
from translator.emulator.model import EchoModel, ScriptedModel, choose_language
from translator.emulator.transcription import PHRASES
from translator.emulator.vad import EnergyVad, VadSettings


def _float(pcm: np.ndarray) -> np.ndarray:
    return pcm.astype(np.float32) / 32768


def test_cut_segments_give_every_word_once(sample: Recording) -> None:
    model = ScriptedModel(sample.scenario)
    cuts = [0, 1800, 3300, 7000, 12000, 20100]
    transcripts, translations = [], []
    for a, b in zip(cuts, cuts[1:], strict=False):
        audio = resample(_float(sample.span(a, b)) * 0.4, 24000, 16000)  # other rate, other gain
        heard = model.hear(audio, 16000, 0)
        transcripts.append(heard.transcript)
        translations.append(model.reply(heard, SPANISH, audio, 16000, 24000).text)
    whole = " ".join(u.transcript for u in sample.scenario.utterances)
    assert " ".join(t for t in transcripts if t) == whole
    assert " ".join(t for t in translations if t).startswith(
        "Buenos días a todos y bienvenidos a la reunión."
    )


def test_exact_zeros_a_client_appends_are_silence(sample: Recording) -> None:
    """A client closes a turn with digital silence: the clip is still found where it was
    cut, and silence with zeros after it holds no speech."""
    model = ScriptedModel(sample.scenario)
    zeros = np.zeros(24 * 800, np.float32)
    cut = np.concatenate([_float(sample.span(5460, 7980)), zeros])
    # cut at 7.98 s: "estación" (centre 7.92 s) was heard, "de tren?" was not
    assert model.hear(cut, 24000, 0).transcript == "Gracias. ¿Dónde está la estación"
    tail = np.concatenate([_float(sample.span(19140, 20100)), zeros])
    assert model.hear(tail, 24000, 0).transcript == ""


def test_noise_only_segment_is_empty(sample: Recording) -> None:
    model = ScriptedModel(sample.scenario)
    heard = model.hear(_float(sample.span(18700, 20100)), 24000, 0)
    assert (
        heard.transcript == ""
        and model.reply(heard, SPANISH, heard and _float(sample.span(0, 1)), 24000, 24000).audio.size == 0
    )


def test_echo_model_says_nothing_was_translated(sample: Recording) -> None:
    audio = _float(sample.span(0, 5000))
    heard = EchoModel().hear(audio, 24000, 2)
    assert heard.transcript == "[emulator] utterance 3, 5.0 s"
    reply = EchoModel().reply(heard, "", audio, 24000, 16000)
    assert "not translated" in reply.text and reply.audio.size == 16000 * 5


def test_target_language_choice() -> None:
    keys = {"en-US": "a", "es-ES": "b", "es-MX": "c"}
    assert choose_language(keys, "Translate into Spanish (es-MX).") == "es-MX"
    assert choose_language(keys, "Reply in es please") == "es-ES"
    assert choose_language(keys, "Translate into German") is None


def test_vad_on_noisy_speech(noisy: Recording) -> None:
    vad = EnergyVad(VadSettings(prefix_padding_ms=300, silence_duration_ms=500), 24000)
    events = []
    for i in range(0, noisy.pcm.size, 480):
        events += vad.push(_float(noisy.pcm[i : i + 480]))
    starts = [e.at_ms for e in events if e.kind == "started"]
    stops = [e.at_ms for e in events if e.kind == "stopped"]
    utterances = noisy.scenario.utterances
    assert len(starts) == len(stops) == len(utterances)
    for u, start, stop in zip(utterances, starts, stops, strict=True):
        assert u.start_ms - 400 <= start <= u.start_ms
        assert u.end_ms < stop <= u.end_ms + 700


def test_vad_threshold_and_speech_duration(noisy: Recording) -> None:
    def count(settings: VadSettings) -> int:
        vad = EnergyVad(settings, 24000)
        return sum(e.kind == "started" for e in vad.push(_float(noisy.pcm)))

    assert count(VadSettings()) == 3
    assert count(VadSettings(speech_duration_ms=5000)) == 0
    assert count(VadSettings(silence_duration_ms=3000)) == 1


async def test_resend_after_reconnect_and_paired_sessions(sample: Recording) -> None:
    """Two sessions hear the same audio; one of them reconnects and resends: same words each time."""
    async with Emulator(fast_options(scenario=sample.scenario)) as emu:
        results = []
        for instructions in (SPANISH, SPANISH, "Translate into English (en-US)."):
            async with session(emu.url) as conn:
                await configure(conn, instructions=instructions, turn_detection=None)
                await append(conn, sample.span(5300, 9300))
                await conn.input_audio_buffer.commit()
                await conn.response.create()
                events = await collect(conn, until={"response.done"})
            results.append(next(e for e in events if e.type == "response.audio_transcript.done").transcript)
    assert results[0] == results[1] == "Gracias. ¿Dónde está la estación de tren?"
    assert results[2] == "Thank you. Where is the train station?"


async def test_noisy_speech_with_server_vad_end_to_end(noisy: Recording) -> None:
    async with Emulator(fast_options(scenario=noisy.scenario)) as emu, session(emu.url) as conn:
        await configure(
            conn,
            instructions="Translate into French (fr-FR).",
            turn_detection={"type": "server_vad", "create_response": True},
        )
        await append(conn, noisy.pcm)
        texts = []
        for _ in noisy.scenario.utterances:
            events = await collect(conn, until={"response.done"})
            texts.append(next(e for e in events if e.type == "response.audio_transcript.done").transcript)
    assert texts == [u.translations["fr-FR"] for u in noisy.scenario.utterances]


def test_phrases_carry_each_utterance_language(sample: Recording) -> None:
    """A cut across two utterances (English then Spanish) gives one phrase per language."""
    heard = ScriptedModel(sample.scenario).hear(_float(sample.span(3300, 7000)), 24000, 0)
    assert [p.locale for p in heard.phrases] == ["en-US", "es-ES"]
    assert " ".join(p.text for p in heard.phrases) == heard.transcript
    for phrase in heard.phrases:
        assert 0 <= phrase.offset_ms and phrase.offset_ms + phrase.duration_ms <= heard.duration_ms + 100
        assert 0.5 < phrase.confidence <= 1.0
    assert heard.phrases[1].offset_ms >= 5758 - 3300 - 100


async def _transcriptions(
    url: str, pcm: np.ndarray, instructions: str, include: list[str] | None
) -> list[ServerEventConversationItemInputAudioTranscriptionCompleted]:
    """Stream the whole recording with server VAD (no responses); the four ``.completed`` events."""
    async with session(url) as conn:
        extra = {"include": include} if include is not None else {}
        await configure(
            conn,
            instructions=instructions,
            turn_detection={"type": "server_vad", "create_response": False},
            input_audio_transcription={"model": "azure-speech"},
            **extra,
        )
        await append(conn, pcm)
        done = []
        for _ in range(4):
            events = await collect(conn, until={"conversation.item.input_audio_transcription.completed"})
            done.append(events[-1])
    return done


async def test_paired_sessions_get_phrases_with_locales(sample: Recording) -> None:
    """Both directions of a paired profile hear the same speech and learn each line's language."""
    want = [(u.language, u.transcript) for u in sample.scenario.utterances]
    async with Emulator(fast_options(scenario=sample.scenario)) as emu:
        for instructions in (SPANISH, "Translate into English (en-US)."):
            done = await _transcriptions(emu.url, sample.pcm, instructions, [PHRASES])
            phrases = [event.phrases for event in done]
            assert all(len(p) == 1 and isinstance(p[0], TranscriptionPhrase) for p in phrases)
            assert [(p[0].locale, p[0].text) for p in phrases] == want
            assert all(p[0].words == [] and 0 < p[0].confidence <= 1 for p in phrases)
            assert all(p[0].duration_milliseconds > 1000 for p in phrases)
        plain = await _transcriptions(emu.url, sample.pcm, SPANISH, None)
    assert all(event.phrases is None for event in plain)


def test_vad_zeros_before_the_room_do_not_lower_the_floor(sample: Recording) -> None:
    """A microphone line is exact zeros until something plays on it; the room's noise that
    follows is the floor, not speech, so the pause between two sentences still ends a turn."""
    vad = EnergyVad(VadSettings(), 24000)
    audio = np.concatenate([np.zeros(2 * 24000, np.float32), _float(sample.span(0, 10_000))])
    events = [e for i in range(0, audio.size, 960) for e in vad.push(audio[i : i + 960])]  # 40 ms
    stops = [e.at_ms for e in events if e.kind == "stopped"]
    assert stops and 2000 + 4558 < stops[0] < 2000 + 5758, events
