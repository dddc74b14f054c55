"""A corpus of REAL recorded speech with known text, and the hard cases built from it.

Sources (Debian packages, installed by ``scripts/test.sh``):

* ``asterisk-core-sounds-{en,es,fr}-wav``: telephone prompts (8 kHz, one professional
  voice per language) under ``/usr/share/asterisk/sounds/{en,es,fr}/``; their text is in
  ``core-sounds-{en,es,fr}.txt.gz`` of ``asterisk-core-sounds-{en,es,fr}`` (doc folder).
* ``pocketsphinx-testdata``: five LibriVox clips of *Sense and Sensibility* (16 kHz, a
  real reader in a real room) with a transcription file.

The package: ``corpus.py`` (loading, reference speech), ``cases.py`` (hard cases),
``align.py`` (forced alignment), ``judge.py`` (scores), ``scenarios.py`` (emulator scenarios).

Everything is resampled to the pipeline's 24 kHz mono int16. Hard cases are built in
code: clips joined with 50 to 200 ms gaps (continuous speech), languages alternating,
pink / babble / music-like noise mixed at an SNR measured over the *speech* frames, and
input gain. Ground truth comes from the clean signal:

* **Speech frames** (:func:`reference_speech`): 10 ms frames of the clean recording whose
  level is above the clip's own silence. Each clip's floor is its 5th-percentile frame
  level; a frame is speech when it is 20 dB above that floor and within 50 dB of the
  clip's loudest frame; gaps under 120 ms inside speech are filled (stop closures are
  part of a word) and runs under 30 ms dropped. Energy on the *clean* clip is reliable:
  the clips are close-miked with a quiet background, which is what the noise then spoils.
* **Word intervals** (English only, :func:`align_words`): forced alignment of the
  transcript with ``pocketsphinx`` (PyPI, bundled US English model), cached under
  ``$XDG_CACHE_HOME/translator-realspeech`` (or the temp folder) keyed by a hash of
  the audio and the text.
"""

from tests.realspeech.align import (
    Word,
    align_words,
    cache_dir,
)
from tests.realspeech.cases import (
    MAX_SENTENCE_MS,
    NOISES,
    alternating,
    apply_gain,
    babble_noise,
    clip_by_name,
    continuous_40s,
    continuous_english,
    degrade,
    english_pool,
    gaps,
    join,
    music_noise,
    pink_noise,
    sentences,
    speech_rms,
    with_pauses,
)
from tests.realspeech.corpus import (
    ASTERISK_DOCS,
    ASTERISK_SOUNDS,
    DEBIAN_PACKAGES,
    FRAME_MS,
    LIBRIVOX,
    RATE_HZ,
    Clip,
    Recording,
    Utterance,
    asterisk_clip,
    asterisk_clips,
    asterisk_transcripts,
    frame_levels_db,
    librivox_clips,
    missing,
    reference_speech,
)
from tests.realspeech.judge import (
    NONSPEECH_COLLAR_MS,
    FrameScore,
    Span,
    cuts_inside_words,
    frame_score,
    inside_word,
    recording_words,
    scored_nonspeech,
    segmenter_spans,
    silence_only,
    speech_lost_pct,
    to_10ms,
)
from tests.realspeech.scenarios import (
    LANGUAGE_TAGS,
    write_scenario,
)

__all__ = [
    "ASTERISK_DOCS",
    "ASTERISK_SOUNDS",
    "Clip",
    "DEBIAN_PACKAGES",
    "FRAME_MS",
    "FrameScore",
    "LANGUAGE_TAGS",
    "LIBRIVOX",
    "MAX_SENTENCE_MS",
    "NOISES",
    "NONSPEECH_COLLAR_MS",
    "RATE_HZ",
    "Recording",
    "Span",
    "Utterance",
    "Word",
    "align_words",
    "alternating",
    "apply_gain",
    "asterisk_clip",
    "asterisk_clips",
    "asterisk_transcripts",
    "babble_noise",
    "cache_dir",
    "clip_by_name",
    "continuous_40s",
    "continuous_english",
    "cuts_inside_words",
    "degrade",
    "english_pool",
    "frame_levels_db",
    "frame_score",
    "gaps",
    "inside_word",
    "join",
    "librivox_clips",
    "missing",
    "music_noise",
    "pink_noise",
    "recording_words",
    "reference_speech",
    "scored_nonspeech",
    "segmenter_spans",
    "sentences",
    "silence_only",
    "speech_lost_pct",
    "speech_rms",
    "to_10ms",
    "with_pauses",
    "write_scenario",
]
