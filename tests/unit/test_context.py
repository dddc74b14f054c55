"""The context a service-turn response carries (``voicelive/context.py``)."""

from translator.voicelive.context import Exchanges
from translator.voicelive.wire import outbound as wire


def _texts(items: list[wire.ClientEvent]) -> list[tuple[str, str]]:
    return [(i["role"], i["content"][0]["text"]) for i in items]


def test_the_last_two_exchanges_then_the_utterance() -> None:
    ex = Exchanges()
    for n in range(1, 4):
        ex.record(f" Said {n}. ", f"Dicho {n}.")
    assert _texts(ex.items(wire.user_text("Now."))) == [
        ("user", "Said 2."),
        ("assistant", "Dicho 2."),
        ("user", "Said 3."),
        ("assistant", "Dicho 3."),
        ("user", "Now."),
    ]


def test_an_utterance_without_text_or_translation_is_no_context() -> None:
    ex = Exchanges()
    ex.record(None, "Algo.")
    ex.record("   ", "Algo.")
    ex.record("Something.", None)
    ex.record("Something.", "")
    assert _texts(ex.items(wire.user_text("Now."))) == [("user", "Now.")]
