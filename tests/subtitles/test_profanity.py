from __future__ import annotations

import pytest

from translator.subtitles.profanity import filter_profanity


@pytest.mark.parametrize(
    ("text", "mask", "remove"),
    [
        ("What the fuck?", "What the f***?", "What the?"),
        ("Shit, I missed it", "S***, I missed it", "I missed it"),
        ("¡Qué puta mierda!", "¡Qué p*** m*****!", "¡Qué!"),
        ("Joder, ¡COÑO!", "J****, ¡C***!", ""),
        ("Scunthorpe, assassin, cocktail, dickens", "Scunthorpe, assassin, cocktail, dickens", None),
    ],
)
def test_mask_and_remove(text: str, mask: str, remove: str | None) -> None:
    assert filter_profanity(text, "raw") == text
    assert filter_profanity(text, "mask") == mask
    assert filter_profanity(text, "remove") == (text if remove is None else remove)
