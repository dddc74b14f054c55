"""The real-speech corpus: clips, hard cases, ground truth, alignment and emulator scenarios."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests import realspeech as rs
from tests.emulator.conftest import fast_options
from tests.emulator.helpers import SPANISH, append, collect, configure, session
from translator.emulator import Emulator, load_scenario
from translator.emulator.model import ScriptedModel

pytestmark = pytest.mark.skipif(rs.missing() is not None, reason=rs.missing() or "")


def test_corpus_has_real_speech_with_text_in_three_languages() -> None:
    for lang in ("en", "es", "fr"):
        clips = rs.sentences(lang)
        assert len(clips) >= 40, lang
        clip = clips[0]
        assert clip.language == lang and clip.text.strip() and clip.pcm.dtype == np.int16
        assert 500 < clip.duration_ms <= rs.MAX_SENTENCE_MS
    books = rs.librivox_clips()
    assert len(books) == 5 and books[1].text == "he was not an ill disposed young man"
    assert 2800 < books[1].duration_ms < 3200  # 2.99 s at 16 kHz, now 24 kHz
    # a real voice has a reference with both speech and pauses
    ref = rs.reference_speech(books[0].pcm)
    assert 0.5 < ref.mean() < 0.98


def test_spanish_prompt_the_issue_names_is_there() -> None:
    texts = {c.text for c in rs.asterisk_clips("es")}
    assert any("numero de agente" in t for t in texts)


def test_joined_recordings_have_the_promised_gaps_and_lengths() -> None:
    long = rs.continuous_english()
    assert long.duration_ms >= 70_000
    assert len(long.speech) == len(long.pcm) // (rs.RATE_HZ // 100)
    for a, b in zip(long.utterances, long.utterances[1:], strict=False):
        gap = b.clip_start_ms - (a.clip_start_ms + rs.clip_by_name(a.clip).duration_ms)
        assert 40 <= gap <= 200, gap
    forty = rs.continuous_40s()
    assert 38_000 <= forty.duration_ms <= 46_000
    assert all(2400 <= rs.clip_by_name(u.clip).duration_ms <= 3700 for u in forty.utterances)
    mixed = rs.alternating()
    assert [u.language for u in mixed.utterances[:4]] == ["en", "es", "en", "es"]


@pytest.mark.parametrize("noise", sorted(rs.NOISES))
@pytest.mark.parametrize("snr_db", [20, 5])
def test_noise_is_mixed_at_the_snr_measured_over_speech(noise: str, snr_db: int) -> None:
    rec = rs.continuous_40s()
    noisy = rs.degrade(rec, noise, snr_db, gain_db=-6)
    gain = 10 ** (-6 / 20)
    added = noisy.pcm.astype(np.float64) - rec.clean.astype(np.float64) * gain
    n = len(rec.speech) * 240
    frames = (rec.clean[:n].astype(np.float64) * gain).reshape(-1, 240)[rec.speech]
    speech_rms = np.sqrt(np.mean(frames**2))
    measured = 20 * np.log10(speech_rms / np.sqrt(np.mean(added**2)))
    assert abs(measured - snr_db) < 0.5, measured
    assert noisy.utterances == rec.utterances and noisy.speech is rec.speech


def test_gain_lowers_the_level() -> None:
    rec = rs.continuous_40s()
    quiet = rs.degrade(rec, None, 0, gain_db=-12)
    ratio = np.sqrt(np.mean(quiet.pcm.astype(np.float64) ** 2) / np.mean(rec.clean.astype(np.float64) ** 2))
    assert abs(20 * np.log10(ratio) + 12) < 0.1


def test_forced_alignment_gives_ordered_words_of_the_transcript() -> None:
    clip = rs.librivox_clips()[1]  # "he was not an ill disposed young man"
    words = rs.align_words(clip)
    assert [w.word for w in words] == clip.text.split()
    starts = [w.start_ms for w in words]
    assert starts == sorted(starts) and all(w.end_ms > w.start_ms for w in words)
    assert words[-1].end_ms <= clip.duration_ms + 20
    # speech starts after the clip's quiet lead-in and the words lie over reference speech
    ref = rs.reference_speech(clip.pcm)
    first_speech_ms = int(np.flatnonzero(ref)[0]) * 10
    assert abs(words[0].start_ms - first_speech_ms) < 150
    # cached: the second call reads the file and returns the same words
    assert rs.align_words(clip) == words
    assert any(p.name.startswith("align-") for p in rs.cache_dir().iterdir())


def test_inside_word() -> None:
    words = [rs.Word("not", 560, 1060), rs.Word("an", 1130, 1300)]
    assert rs.inside_word(words, 800) == words[0]
    assert rs.inside_word(words, 1080) is None  # in the pause
    assert rs.inside_word(words, 1140) is None  # at the word's edge
    assert rs.inside_word(words, 1200) == words[1]


def _real_scenario(tmp_path: Path) -> tuple[rs.Recording, Path]:
    rec = rs.degrade(rs.continuous_40s(), "pink", 15, gain_db=-6, seed=1)
    rs.write_scenario(rec, tmp_path / "real.wav", targets=("es-ES",), model_delay_ms=0)
    return rec, tmp_path / "real.yaml"


def test_emulator_scenario_finds_the_words_of_a_committed_span(tmp_path: Path) -> None:
    rec, path = _real_scenario(tmp_path)
    scenario = load_scenario(path)
    assert len(scenario.utterances) == len(rec.utterances)
    model = ScriptedModel(scenario)
    words = rs.recording_words(rec)
    for k in (2, 7):
        u = rec.utterances[k]
        span = rec.pcm[(u.start_ms - 100) * 24 : (u.end_ms + 100) * 24].astype(np.float32) / 32768
        heard = model.hear(span, 24_000, 0)
        expected = [w.word for w in words if u.start_ms - 100 <= (w.start_ms + w.end_ms) / 2 < u.end_ms + 100]
        assert heard.transcript.split() == expected
        assert heard.parts[0].utterance == k and len(heard.parts) == 1
    # half a sentence: only its words
    u = rec.utterances[4]
    mid_ms = (u.start_ms + u.end_ms) // 2
    inside = rs.inside_word(words, mid_ms)
    cut_ms = inside.end_ms if inside else mid_ms
    heard = model.hear(rec.pcm[(u.start_ms - 100) * 24 : cut_ms * 24].astype(np.float32) / 32768, 24_000, 0)
    first_half = [w.word for w in words if u.start_ms - 100 <= (w.start_ms + w.end_ms) / 2 < cut_ms]
    assert heard.transcript.split() == first_half and 0 < len(first_half) < len(u.text.split())


async def test_emulator_transcribes_and_translates_real_speech_through_the_sdk(tmp_path: Path) -> None:
    """The real SDK commits one real sentence (noisy, quieter); the emulator names its words
    and says the same asterisk prompt's Spanish text."""
    rec, path = _real_scenario(tmp_path)
    scenario = load_scenario(path)
    spanish = rs.asterisk_transcripts("es")
    u = next(u for u in rec.utterances[2:] if u.clip.split("/", 2)[2] in spanish)
    async with Emulator(fast_options(scenario=scenario)) as emu, session(emu.url) as conn:
        await configure(
            conn,
            instructions=SPANISH,
            turn_detection=None,
            input_audio_transcription={"model": "azure-speech"},
        )
        await append(conn, rec.pcm[(u.start_ms - 150) * 24 : (u.end_ms + 150) * 24])
        await conn.input_audio_buffer.commit()
        await conn.response.create()
        events = await collect(conn, until={"response.done"})
    heard = next(e for e in events if e.type == "conversation.item.input_audio_transcription.completed")
    said = next(e for e in events if e.type == "response.audio_transcript.done")
    assert heard.transcript.split() == [w.word for w in rs.align_words(rs.clip_by_name(u.clip))]
    assert said.transcript == spanish[u.clip.split("/", 2)[2]]


def test_segmenter_spans_are_where_the_sent_audio_is() -> None:
    from translator.listen.segmenter import SegmentAudio, SegmentClose, Segmenter, VadParams

    rec = rs.degrade(rs.continuous_40s(), "pink", 20, 0, seed=3)
    seg = Segmenter(VadParams(), rs.RATE_HZ)
    events = [e for i in range(0, len(rec.pcm), 480) for e in seg.push(rec.pcm[i : i + 480].tobytes())]
    events += seg.finish()
    spans = rs.segmenter_spans(events, rec.pcm)
    assert len(spans) == sum(isinstance(e, SegmentClose) for e in events) > 3
    sent = b"".join(e.pcm for e in events if isinstance(e, SegmentAudio))
    assert sent == b"".join(rec.pcm[s.start_ms * 24 : s.end_ms * 24].tobytes() for s in spans)
    for a, b in zip(spans, spans[1:], strict=False):
        assert a.end_ms <= b.start_ms and (not a.cut or a.end_ms == b.start_ms)


def test_utterance_judges() -> None:
    rec = rs.continuous_40s()
    first, second = rec.utterances[0], rec.utterances[1]
    whole = [rs.Span(first.start_ms - 300, second.end_ms + 150, cut=False)]
    assert rs.speech_lost_pct(whole, rec.speech[: second.end_ms // 10 + 1]) == 0.0
    half = [rs.Span(first.start_ms, (first.start_ms + first.end_ms) // 2, cut=False)]
    lost = rs.speech_lost_pct(half, rec.speech[: first.end_ms // 10])
    assert 30 < lost < 70
    quiet = rs.Span(rec.duration_ms - 500, rec.duration_ms, cut=False)
    assert rs.silence_only([*whole, quiet], rec.speech) == [quiet]
    words = rs.recording_words(rec)
    w = words[3]
    in_word = rs.Span(first.start_ms, (w.start_ms + w.end_ms) // 2, cut=True)
    at_gap = rs.Span(first.start_ms, (first.end_ms + second.start_ms) // 2, cut=True)
    assert rs.cuts_inside_words([in_word, at_gap, whole[0]], rec, words) == (2, 1)


def test_cli_translates_a_real_speech_recording_through_the_emulator(tmp_path: Path) -> None:
    """``translator run --emulator --fast`` on a real-speech scenario: it finishes, every word
    it transcribes comes once and in order, and the Spanish is the prompts' own Spanish."""
    from tests.e2e.conftest import read_jsonl, run_cli, write_profile

    rec = rs.degrade(rs.continuous_40s(), "pink", 20, 0, seed=4)
    rs.write_scenario(rec, tmp_path / "real.wav", targets=("es-ES",), model_delay_ms=0)
    profile = write_profile(
        tmp_path / "p.yaml",
        "directions:\n  - {source: en-US, target: es-ES}\n"
        "turn_detection: {type: client, max_segment_ms: 4000}\n",
    )
    out = tmp_path / "out.jsonl"
    result = run_cli(
        *("run", str(profile), "--emulator", "--input", str(tmp_path / "real.wav")),
        *(
            "--scenario",
            str(tmp_path / "real.yaml"),
            "--fast",
            "--no-play",
            "--quiet",
            "--subtitles",
            str(out),
        ),
    )
    assert result.code == 0, result.stderr[-2000:]
    lines = sorted(read_jsonl(out), key=lambda x: x["start_ms"])
    heard = " ".join(x["text"] for x in lines if x["kind"] == "source").split()
    spoken = [w.word for w in rs.recording_words(rec)]
    # in order, none twice: ``heard`` is a subsequence of ``spoken``
    it = iter(spoken)
    assert all(word in it for word in heard), heard
    assert len(heard) >= 0.95 * len(spoken)
    translated = " ".join(x["text"] for x in lines if x["kind"] == "translation")
    assert "tecla de numero" in translated
