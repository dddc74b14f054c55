#!/usr/bin/env bash
# Install everything the tests need (Debian packages and Python packages), then run
# the linters and the whole test suite. Used by the README's quickstart and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(espeak-ng sox libsndfile1 libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins ffmpeg chromium)
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

python3 -m pip install -q --disable-pip-version-check -e '.[test]'

echo "== ruff"; python3 -m ruff check translator tests scripts
echo "== mypy"; python3 -m mypy translator
echo "== pytest"; python3 -m pytest -q "$@"
