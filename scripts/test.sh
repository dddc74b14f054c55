#!/usr/bin/env bash
# Install everything the tests need (Debian packages, then Python packages into .venv),
# then run the linters and the whole test suite. The README's quickstart and .ci/run
# both run this; extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(espeak-ng sox libsndfile1 libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins ffmpeg chromium chromium-driver icecast2)
# Real recorded speech with known text (tests/realspeech.py)
APT_PACKAGES+=(asterisk-core-sounds-en asterisk-core-sounds-en-wav asterisk-core-sounds-es asterisk-core-sounds-es-wav asterisk-core-sounds-fr asterisk-core-sounds-fr-wav pocketsphinx-testdata)
python3 -c "import ensurepip, venv" 2>/dev/null || APT_PACKAGES+=(python3-venv)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
PY=.venv/bin/python
$PY -m pip install -q --disable-pip-version-check --upgrade pip
$PY -m pip install -q --disable-pip-version-check -e '.[test]'

echo "== ruff";   $PY -m ruff check translator tests scripts
echo "== mypy";   $PY -m mypy translator
echo "== pytest"; $PY -m pytest -q -p no:cacheprovider "$@"
