"""Property tests of the layout rules (hypothesis) and a few pinned examples."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from translator.subtitles.layout import split_pair, split_text
from translator.subtitles.textunits import display_width, normalize, to_units

LATIN_WORDS = st.sampled_from(
    [
        "a",
        "I",
        "the",
        "station",
        "é",
        "¿Dónde",
        "está?",
        "Madrid,",
        "tren.",
        "—",
        ",",
        "!",
        "(",
        ")",
        "«",
        "»",
        "&",
        "<b>",
        "😀",
        "👍🏽",
        "x" * 45,
        "supercalifragilistic",
        "o'clock",
        "3.5",
        "...",
        "¡Hola!",
    ]
)
CJK_PIECES = st.sampled_from(
    [
        "我",
        "们",
        "火车站",
        "。",
        "，",
        "？",
        "「",
        "」",
        "ちょっ",
        "と",
        "ー",
        "Python",
        "😀",
        "、",
        "東京",
        "ャ",
    ]
)
latin_text = st.lists(LATIN_WORDS, min_size=1, max_size=60).map(" ".join)
cjk_text = st.lists(CJK_PIECES, min_size=1, max_size=80).map("".join)
long_text = st.one_of(  # past layout._SEGMENT_UNITS: laid out sentence group by sentence group
    st.lists(LATIN_WORDS, min_size=100, max_size=260).map(" ".join),
    st.lists(CJK_PIECES, min_size=100, max_size=260).map("".join),
)
any_text = st.one_of(latin_text, cjk_text, st.text(min_size=1, max_size=200), long_text)
widths = st.integers(min_value=8, max_value=60)
max_lines = st.integers(min_value=1, max_value=4)


def _units_by_text(text: str) -> set[str]:
    return {u.text for u in to_units(text)}


@settings(max_examples=150, deadline=None)
@given(any_text, widths, max_lines)
def test_no_line_is_wider_than_the_limit_unless_it_is_one_unit(text: str, width: int, lines: int) -> None:
    units = _units_by_text(text)
    for chunk in split_text(text, width, lines):
        assert 1 <= len(chunk.lines) <= lines
        for line in chunk.lines:
            assert display_width(line) <= width or line in units, (line, width)


@settings(max_examples=300, deadline=None)
@given(latin_text, widths, max_lines)
def test_words_are_preserved_in_order_across_lines_and_cues(text: str, width: int, lines: int) -> None:
    chunks = split_text(text, width, lines)
    words = [w for chunk in chunks for line in chunk.lines for w in line.split(" ")]
    assert words == normalize(text).split(" ")


@settings(max_examples=150, deadline=None)
@given(any_text, widths, max_lines)
def test_characters_are_preserved_for_any_script(text: str, width: int, lines: int) -> None:
    chunks = split_text(text, width, lines)
    joined = "".join(line for chunk in chunks for line in chunk.lines)
    assert joined.replace(" ", "") == normalize(text).replace(" ", "")


def _punct(ch: str) -> bool:
    return unicodedata.category(ch).startswith("P")


def _opening(ch: str) -> bool:
    return unicodedata.category(ch) in ("Ps", "Pi") or ch in "¿¡"


SMALL_KANA = set("ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶーゝゞヽヾ々")


@settings(max_examples=150, deadline=None)
@given(any_text, widths, max_lines)
def test_no_line_starts_with_lone_or_closing_punctuation(text: str, width: int, lines: int) -> None:
    all_lines = [line for chunk in split_text(text, width, lines) for line in chunk.lines]
    for line in all_lines[1:]:  # the text's own first character may be anything
        token = line.split(" ")[0]
        if all(_punct(ch) for ch in token):
            assert all(_opening(ch) for ch in token), line
        first = line[0]
        assert first not in SMALL_KANA, line
        if ord(first) >= 0x3000 and _punct(first):
            assert _opening(first), line


@settings(max_examples=200, deadline=None)
@given(latin_text, cjk_text, widths, max_lines)
def test_bilingual_pairs_have_equal_counts_and_keep_both_texts(
    first: str, second: str, width: int, lines: int
) -> None:
    pairs = split_pair(first, width, second, width, lines)
    assert pairs
    assert " ".join(a.text for a, _ in pairs if a.text).split() == normalize(first).split()
    assert "".join(b.text for _, b in pairs) == normalize(second).replace(" ", "") or (
        "".join(b.text for _, b in pairs).replace(" ", "") == normalize(second).replace(" ", "")
    )
    for a, b in pairs:
        assert len(a.lines) <= lines and len(b.lines) <= lines
        assert a.lines or b.lines


def test_sentence_ends_are_preferred_for_cue_breaks() -> None:
    text = "The meeting starts at nine tomorrow morning. Please bring your laptop and the slides."
    chunks = split_text(text, 37, 2)
    assert [c.text for c in chunks] == [
        "The meeting starts at nine tomorrow morning.",
        "Please bring your laptop and the slides.",
    ]


def test_short_text_stays_on_one_line() -> None:
    assert split_text("¿Dónde está la estación?", 37, 2)[0].lines == ("¿Dónde está la estación?",)


def test_two_lines_are_balanced() -> None:
    (chunk,) = split_text("I would like a return ticket to Barcelona, please.", 37, 2)
    assert chunk.lines == ("I would like a return ticket", "to Barcelona, please.")


def test_chinese_breaks_between_characters_never_before_closing_punctuation() -> None:
    text = "我们明天早上九点在火车站见面，然后一起去机场。"
    (chunk,) = split_text(text, 30, 2)
    assert chunk.lines == ("我们明天早上九点在火车站", "见面，然后一起去机场。")
    assert all(display_width(line) <= 30 for line in chunk.lines)


def test_japanese_small_kana_and_long_vowel_do_not_start_a_line() -> None:
    text = "コーヒーとチョコレートケーキをください。"
    for width in range(8, 30):
        for chunk in split_text(text, width, 3):
            for line in chunk.lines:
                assert line[0] not in "ーャュョッ。", (width, line)


def test_emoji_count_two_columns() -> None:
    assert display_width("😀") == 2
    assert display_width("火") == 2
    assert display_width("é") == 1


def test_overlong_word_stands_alone() -> None:
    word = "Donaudampfschifffahrtsgesellschaftskapitän"
    chunks = split_text(f"Der {word} kommt.", 20, 2)
    lines = [line for c in chunks for line in c.lines]
    assert word in lines
