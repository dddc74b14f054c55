"""Event scripts for subtitle tests: what two sessions would emit during a short run."""

from __future__ import annotations

from translator.events import (
    InputProgress,
    Latency,
    Notice,
    SourceFinal,
    SpeechStarted,
    TranslationAudio,
    TranslationFinal,
    TranslationPartial,
    TranslatorEvent,
)

EN_ES = "en-US>es-ES"
ES_EN = "es-ES>en-US"
EN_ZH = "en-US>zh-CN"
EN_JA = "en-US>ja-JP"

# (utterance, start_ms, end_ms, source text, translation)
EN_ES_LINES = [
    ("u1", 1_000, 2_400, "Where is the station?", "¿Dónde está la estación?"),
    (
        "u2",
        3_100,
        9_800,
        "I need to catch the ten o'clock train to Madrid, and I have no idea which platform "
        "it leaves from. Can you help me?",
        "Tengo que tomar el tren de las diez a Madrid y no tengo ni idea de qué andén sale. "
        "¿Me puede ayudar?",
    ),
    ("u3", 10_000, 10_400, "Yes.", "Sí."),
    ("u4", 10_500, 12_000, "Fish & chips <extra> --> now", "Pescado & patatas <extra> --> ya"),
    (
        "u5",
        14_000,
        15_500,
        "This fucking train is late again, shit.",
        "Este puto tren llega tarde otra vez, mierda.",
    ),
]
ES_EN_LINES = [
    ("v1", 2_000, 3_500, "Buenos días a todos.", "Good morning, everyone."),
    ("v2", 9_900, 11_000, "¡Perfecto!", "Perfect!"),
]
EN_ZH_LINES = [
    ("z1", 1_000, 4_000, "Where is the station?", "请问火车站在哪里？"),
    (
        "z2",
        4_500,
        9_000,
        "We meet at nine at the station, then go to the airport together. Is that too early?",
        "我们明天早上九点在火车站见面，然后一起去机场。你觉得这样是不是太早了？如果太早的话，我们可以改到十点。",
    ),
]
EN_JA_LINES = [
    (
        "j1",
        1_000,
        5_000,
        "She said she is going to Tokyo. Wait a moment.",
        "「東京へ行きます」と言った。ちょっと待ってください。",
    ),
]


def direction_events(
    direction: str, lines: list[tuple[str, int, int, str, str]], *, translation_delay_ms: int = 900
) -> list[tuple[int, TranslatorEvent]]:
    """(arrival time on the input clock, event) pairs for one session."""
    source, _, target = direction.partition(">")
    out: list[tuple[int, TranslatorEvent]] = []
    for utterance, start, end, text, translation in lines:
        out.append((start + 300, SpeechStarted(direction, utterance, start)))
        out.append((end + 400, SourceFinal(direction, utterance, source, target, start, end, text)))
        out.append(
            (end + 500, TranslationPartial(direction, utterance, translation[: len(translation) // 2]))
        )
        out.append((end + 550, TranslationAudio(direction, utterance, b"\x00\x00" * 160, 16_000, end)))
        latency = Latency(end_to_first_audio_ms=612.3, end_to_final_text_ms=880.0, ear_voice_span_ms=None)
        out.append(
            (
                end + translation_delay_ms,
                TranslationFinal(
                    direction, utterance, source, target, start, end, translation, text, latency
                ),
            )
        )
    return out


def merge(
    *streams: list[tuple[int, TranslatorEvent]], until_ms: int, step_ms: int = 200
) -> list[TranslatorEvent]:
    """Interleave sessions' events by arrival time, with InputProgress every ``step_ms``."""
    timed: list[tuple[int, int, TranslatorEvent]] = []
    for index, stream in enumerate(streams):
        timed.extend((at, index, event) for at, event in stream)
    timed.extend((at, -1, InputProgress(at)) for at in range(0, until_ms + 1, step_ms))
    timed.sort(key=lambda item: (item[0], item[1]))
    return [event for _, _, event in timed]


def two_way_run() -> list[TranslatorEvent]:
    events = merge(
        direction_events(EN_ES, EN_ES_LINES), direction_events(ES_EN, ES_EN_LINES), until_ms=20_000
    )
    events.insert(len(events) // 2, Notice(EN_ES, "reconnect", "connection lost; reconnected after 0.4 s"))
    return events


def cjk_run() -> list[TranslatorEvent]:
    return merge(direction_events(EN_ZH, EN_ZH_LINES), direction_events(EN_JA, EN_JA_LINES), until_ms=16_000)
