"""The languages a profile may name: Azure Speech's speech-to-text locales.

Voice Live transcribes input with Azure Speech (``azure-speech``) and speaks with Azure
neural voices, so a direction's ``source`` and ``target`` must be locales that service
knows. Source of the list: Microsoft Learn, "Language and voice support for the Speech
service", speech-to-text table (https://learn.microsoft.com/azure/ai-services/speech-service/language-support?tabs=stt),
as of 2025; every locale there also has at least one neural voice in the text-to-speech
table except where noted below. Dialect tags such as ``zh-CN-sichuan`` are left out (the
profile's tags are language-Script-REGION). Update this list when Microsoft adds locales.
"""

from __future__ import annotations

import difflib

SPEECH_LOCALES: frozenset[str] = frozenset(
    """
    af-ZA am-ET ar-AE ar-BH ar-DZ ar-EG ar-IL ar-IQ ar-JO ar-KW ar-LB ar-LY ar-MA ar-OM ar-PS ar-QA
    ar-SA ar-SY ar-TN ar-YE as-IN az-AZ bg-BG bn-IN bs-BA ca-ES cs-CZ cy-GB da-DK de-AT de-CH de-DE
    el-GR en-AU en-CA en-GB en-GH en-HK en-IE en-IN en-KE en-NG en-NZ en-PH en-SG en-TZ en-US en-ZA
    es-AR es-BO es-CL es-CO es-CR es-CU es-DO es-EC es-ES es-GQ es-GT es-HN es-MX es-NI es-PA es-PE
    es-PR es-PY es-SV es-US es-UY es-VE et-EE eu-ES fa-IR fi-FI fil-PH fr-BE fr-CA fr-CH fr-FR ga-IE
    gl-ES gu-IN he-IL hi-IN hr-HR hu-HU hy-AM id-ID is-IS it-CH it-IT ja-JP jv-ID ka-GE kk-KZ km-KH
    kn-IN ko-KR lo-LA lt-LT lv-LV mk-MK ml-IN mn-MN mr-IN ms-MY mt-MT my-MM nb-NO ne-NP nl-BE nl-NL
    or-IN pa-IN pl-PL ps-AF pt-BR pt-PT ro-RO ru-RU si-LK sk-SK sl-SI so-SO sq-AL sr-RS sv-SE sw-KE
    sw-TZ ta-IN te-IN th-TH tr-TR uk-UA ur-IN uz-UZ vi-VN wuu-CN yue-CN zh-CN zh-HK zh-TW zu-ZA
    """.split()
)


def nearest_locales(tag: str, n: int = 3) -> list[str]:
    """The known locales closest to ``tag``: same language first, then by spelling."""
    language = tag.split("-")[0].lower()
    same = sorted(
        (x for x in SPEECH_LOCALES if x.split("-")[0] == language),
        key=lambda x: (
            x.split("-")[1].lower() != language,
            -difflib.SequenceMatcher(None, tag, x).ratio(),
            x,
        ),
    )
    close = difflib.get_close_matches(tag, sorted(SPEECH_LOCALES), n=n, cutoff=0.0)
    return list(dict.fromkeys(same[:n] + close))[:n]


def check_locale(tag: str) -> str:
    """``tag`` if the service supports it; otherwise ValueError naming the nearest ones."""
    if tag in SPEECH_LOCALES:
        return tag
    nearest = ", ".join(nearest_locales(tag))
    raise ValueError(
        f"'{tag}' is not a language Azure Speech transcribes and speaks; nearest: {nearest} "
        "(the list and its source: translator/profile/locales.py)"
    )
