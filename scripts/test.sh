#!/usr/bin/env bash
# Install everything the tests need (Debian packages, then Python packages into .venv),
# then run the linters and the whole test suite. The README's quickstart and .ci/run
# both run this; extra arguments go to pytest.
#
#   bash scripts/test.sh            everything, in one pytest-xdist run on TEST_WORKERS workers
#                                   (default 6: the suite waits on real-time CLI runs far more than
#                                   it computes); device tests take turns at raised priority beside
#                                   the rest (tests/conftest.py, docs/testing.md). 6:01 on this
#                                   2-core VM with a load average of 3 from other work (was 11:30),
#                                   6:31 to 9:18 beside stress-ng --cpu 1
#   bash scripts/test.sh --quick    the edit loop: lint, types, and the unit, emulator, subtitle
#                                   and audio tests that neither run the CLI in real time
#                                   (marker slow) nor open audio devices (marker needs_pulse): 1:00
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
PYTEST_ARGS=()
for arg in "$@"; do
  if [ "$arg" = "--quick" ]; then QUICK=1; else PYTEST_ARGS+=("$arg"); fi
done

APT_PACKAGES=(espeak-ng sox libsndfile1 libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins ffmpeg chromium chromium-driver icecast2)
# Real recorded speech with known text (tests/realspeech/)
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
# --quick skips the Python install while .venv is newer than pyproject.toml (the stamp).
STAMP=.venv/.translator-installed
if [ "$QUICK" = 0 ] || [ ! -e "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  $PY -m pip install -q --disable-pip-version-check --upgrade pip
  $PY -m pip install -q --disable-pip-version-check -e '.[test]'
  touch "$STAMP"
fi

echo "== ruff";   $PY -m ruff check translator tests scripts
echo "== mypy";   $PY -m mypy translator
if [ "$QUICK" = 1 ]; then
  echo "== pytest (quick)"
  $PY -m pytest -q -p no:cacheprovider -n "${TEST_WORKERS:-2}" -m "not slow and not needs_pulse" \
    tests/unit tests/emulator tests/subtitles tests/audio ${PYTEST_ARGS[@]+"${PYTEST_ARGS[@]}"}
else
  echo "== pytest (${TEST_WORKERS:-6} workers)"
  $PY -m pytest -q -p no:cacheprovider -n "${TEST_WORKERS:-6}" --dist worksteal \
    ${PYTEST_ARGS[@]+"${PYTEST_ARGS[@]}"}
fi
