"""Make the bundled emulator samples (one per shipped profile's languages) with espeak-ng.

    .venv/bin/python scripts/make_samples.py        # writes translator/samples/*-sample.{flac,yaml}

Each sample is a short recording and its scenario (``translator.emulator.speechgen``);
``translator run PROFILE --emulator`` picks the one that speaks the profile's source
languages and has translations into its targets (``translator/samples/__init__.py``).
FLAC keeps the package small. Prints one JSON object: the files and their durations.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import soundfile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from translator.emulator.speechgen import ScriptLine, synthesize, write_scenario  # noqa: E402

SAMPLES = ROOT / "translator" / "samples"

SCRIPTS = {
    # English ↔ Chinese (configs/en-zh.yaml)
    "en-zh-sample": [
        ScriptLine("en-US", "Good morning, and welcome to the meeting.", {"zh-CN": "早上好，欢迎参加会议。"}),
        ScriptLine("zh-CN", "谢谢。火车站在哪里？", {"en-US": "Thank you. Where is the train station?"}),
        ScriptLine(
            "en-US", "The station is two blocks north of the hotel.", {"zh-CN": "车站在酒店以北两个街区。"}
        ),
    ],
    # English → Spanish, French, German (en-to-many, en-to-fr, en-to-es-interview)
    "en-many-sample": [
        ScriptLine(
            "en-US",
            "Good morning, and welcome to the keynote.",
            {
                "es-ES": "Buenos días y bienvenidos a la conferencia.",
                "fr-FR": "Bonjour et bienvenue à la conférence.",
                "de-DE": "Guten Morgen und willkommen zum Vortrag.",
            },
        ),
        ScriptLine(
            "en-US",
            "Lunch is served at noon in the main hall.",
            {
                "es-ES": "El almuerzo se sirve a mediodía en la sala principal.",
                "fr-FR": "Le déjeuner est servi à midi dans la grande salle.",
                "de-DE": "Das Mittagessen wird um zwölf im großen Saal serviert.",
            },
        ),
    ],
}


def main() -> None:
    made = {}
    for name, script in SCRIPTS.items():
        wav = SAMPLES / f"{name}.flac"
        scenario = synthesize(script, wav)
        write_scenario(scenario, SAMPLES / f"{name}.yaml")
        made[name] = {"audio": wav.name, "duration_s": round(soundfile.info(str(wav)).duration, 2)}
    print(json.dumps(made))


if __name__ == "__main__":
    main()
