"""Language identification on real short sentences: listen/lid.py against lingua.

Usage::

    python scripts/bench_lid.py            # every sentence (a few thousand)
    python scripts/bench_lid.py --quick    # at most 150 sentences per language and source

Uses ``lingua-language-detector``, a runtime dependency.

Sentences (real, human-written, offline from Debian packages):

- ``prompts``: the asterisk prompt transcripts (``asterisk-core-sounds-{en,es,fr}``),
  spoken sentences of 2+ words; the Spanish ones are written without accents.
- ``messages``: translated program messages from ``/usr/share/locale/*/LC_MESSAGES``
  of base Debian packages (apt, dpkg, coreutils, tar, ...): 3 to 14 words (Chinese: 4 to
  30 characters), no format codes, no text equal to the English original. The only offline
  source here for German and Chinese; English comes from their originals (msgid).

Candidate sets are the shipped profiles' pairs (``configs/``: en+es, en+zh) plus en+fr,
en+de, es+fr, and all five at once. Each sentence is judged with the candidates of every
set that holds its language. ``identify`` may abstain (None); an abstention counts as
wrong and is also reported (``abstain_pct``); ``wrong_pct`` is a wrong language named.
lingua is built once per set with ``LanguageDetectorBuilder.from_languages(...)`` (high
accuracy mode, models preloaded);
its build time and the peak memory its models add are reported apart. Time per call
is ``time.process_time`` per sentence.
Accuracy is also split by length: 1-3, 4-7 and 8+ words (Chinese: characters / 2).

Not a test: nothing here asserts; it prints one JSON object.
"""

from __future__ import annotations

import argparse
import gettext
import json
import re
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import realspeech as rs  # noqa: E402
from translator.listen.lid import identify  # noqa: E402

TAGS = {"en": "en-US", "es": "es-ES", "fr": "fr-FR", "de": "de-DE", "zh": "zh-CN"}
SETS = (("en", "es"), ("en", "zh"), ("en", "fr"), ("en", "de"), ("es", "fr"), ("en", "es", "fr", "de", "zh"))
LOCALE_DIRS = {"es": "es", "fr": "fr", "de": "de", "zh": "zh_CN"}
DOMAINS = (
    "apt",
    "libapt-pkg6.0",
    "dpkg",
    "coreutils",
    "tar",
    "sed",
    "grep",
    "findutils",
    "diffutils",
    "shadow",
    "adduser",
    "bash",
    "wget",
    "man-db",
    "psmisc",
    "procps-ng",
    "xz",
    "make",
)
_CODES = re.compile(r"%|\{|\}|\\|<|>|`|\$|_|/|=|--|\[|\]|@|\t|\n")


def _words(text: str, lang: str) -> int:
    return len(re.sub(r"\s", "", text)) // 2 if lang == "zh" else len(text.split())


def _usable(text: str, lang: str) -> bool:
    text = text.strip()
    if not text or _CODES.search(text):
        return False
    if lang == "zh":
        return 4 <= len(text) <= 30 and re.search(r"[\u4e00-\u9fff]", text) is not None
    return 3 <= len(text.split()) <= 14 and re.search(r"[^\W\d_]{3}", text) is not None


def message_sentences() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {lang: [] for lang in TAGS}
    seen: dict[str, set[str]] = {lang: set() for lang in TAGS}
    for domain in DOMAINS:
        for lang, folder in LOCALE_DIRS.items():
            path = Path("/usr/share/locale") / folder / "LC_MESSAGES" / f"{domain}.mo"
            if not path.exists():
                continue
            with path.open("rb") as f:
                catalog: dict[Any, str] = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
            for msgid, msgstr in catalog.items():
                if not isinstance(msgid, str) or not msgid or msgstr == msgid:
                    continue
                for text, language in ((msgstr, lang), (msgid, "en")):
                    text = text.strip()
                    if _usable(text, language) and text not in seen[language]:
                        seen[language].add(text)
                        out[language].append(text)
    return out


def prompt_sentences() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for lang in ("en", "es", "fr"):
        texts = sorted({t.strip() for t in rs.asterisk_transcripts(lang).values() if len(t.split()) >= 2})
        out[lang] = texts
    return out


LINGUA_GATE = 0.75
"""``lingua-gated``: abstain unless the top language's confidence (lingua's values sum to 1)
is at least this, as the routing code would do to prefer other evidence to a guess."""


def _lingua(
    langs: tuple[str, ...],
) -> tuple[Callable[[str], str | None], Callable[[str], str | None], float]:
    from lingua import Language, LanguageDetectorBuilder

    names = {"en": Language.ENGLISH, "es": Language.SPANISH, "fr": Language.FRENCH}
    names |= {"de": Language.GERMAN, "zh": Language.CHINESE}
    back = {names[lang]: lang for lang in langs}
    t0 = time.process_time()
    detector = LanguageDetectorBuilder.from_languages(*(names[lang] for lang in langs))
    built = detector.with_preloaded_language_models().build()
    build_s = time.process_time() - t0

    def detect(text: str) -> str | None:
        found = built.detect_language_of(text)
        return back.get(found) if found is not None else None

    def gated(text: str) -> str | None:
        values = built.compute_language_confidence_values(text)
        if not values or values[0].value < LINGUA_GATE:
            return None
        return back.get(values[0].language)

    return detect, gated, build_s


def _ours(langs: tuple[str, ...]) -> Callable[[str], str | None]:
    tags = [TAGS[lang] for lang in langs]

    def detect(text: str) -> str | None:
        guess = identify(text, tags).language
        return guess.split("-")[0] if guess else None

    return detect


def _bucket(n: int) -> str:
    return "1-3" if n <= 3 else ("4-7" if n <= 7 else "8+")


def run(quick: bool) -> dict[str, Any]:
    corpora = {"prompts": prompt_sentences(), "messages": message_sentences()}
    if quick:
        corpora = {src: {lang: t[:150] for lang, t in c.items()} for src, c in corpora.items()}
    results: list[dict[str, Any]] = []
    build_s: dict[str, float] = {}
    rss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for langs in SETS:
        lingua_detect, lingua_gated, build = _lingua(langs)
        build_s["+".join(langs)] = round(build, 3)
        named = (("lid", _ours(langs)), ("lingua", lingua_detect), ("lingua-gated", lingua_gated))
        for name, detect in named:
            for source, corpus in corpora.items():
                total = right = abstain = 0
                cpu = 0.0
                by_len: dict[str, list[int]] = {}
                for lang in langs:
                    for text in corpus.get(lang, []):
                        t0 = time.process_time()
                        got = detect(text)
                        cpu += time.process_time() - t0
                        total += 1
                        right += got == lang
                        abstain += got is None
                        cell = by_len.setdefault(_bucket(_words(text, lang)), [0, 0])
                        cell[0] += got == lang
                        cell[1] += 1
                if not total:
                    continue
                results.append(
                    {
                        "identifier": name,
                        "languages": "+".join(langs),
                        "source": source,
                        "sentences": total,
                        "accuracy_pct": round(100 * right / total, 1),
                        "abstain_pct": round(100 * abstain / total, 1),
                        "wrong_pct": round(100 * (total - right - abstain) / total, 1),
                        "accuracy_pct_by_words": {
                            k: round(100 * v[0] / v[1], 1) for k, v in sorted(by_len.items())
                        },
                        "us_per_call": round(cpu / total * 1e6, 1),
                    }
                )
    counts = {src: {lang: len(t) for lang, t in c.items() if t} for src, c in corpora.items()}
    return {
        "benchmark": "lid",
        "quick": quick,
        "sentences": counts,
        "lingua_build_s": build_s,
        "lingua_rss_added_mb": round(
            (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before_kb) / 1024, 1
        ),
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="at most 150 sentences per language and source")
    args = parser.parse_args()
    reason = rs.missing()
    if reason is not None:
        print(json.dumps({"benchmark": "lid", "error": reason}))
        raise SystemExit(2)
    try:
        import lingua  # noqa: F401
    except ImportError:
        need = "pip install -e . (lingua-language-detector)"
        print(json.dumps({"benchmark": "lid", "error": need}))
        raise SystemExit(2) from None
    print(json.dumps(run(args.quick)))


if __name__ == "__main__":
    main()
