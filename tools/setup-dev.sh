#!/usr/bin/env bash
# Installs everything arinb's tests need on a fresh Debian machine, then nothing else.
#   Debian packages (as root): chromium and a font for its screenshots (the browser test drives JupyterLab in it; Playwright cannot
#   download its own browser here) and Asterisk's English core sounds (the simulator reads real durations
#   and audio from them when present; tests cover both with and without them).
#   Node.js and npm (Debian's nodejs + npm, when `node` or `npm` is missing): a test runs Node's ari-client against
#   the simulator, and fails in CI (CI=true) without it.
#   Python: this project with the dev, lab and browser extras.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_pkgs=(chromium fonts-dejavu-core asterisk-core-sounds-en-wav asterisk-core-sounds-en-gsm)
# A node from elsewhere (nodesource bundles npm) is kept: Debian's npm would conflict with it.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt_pkgs+=(nodejs npm)
fi
if command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${apt_pkgs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
      echo "setup-dev: not root, cannot install ${missing[*]} (browser/sound tests will say what is missing)" >&2
    fi
  fi
fi

python3 -m pip install --quiet --disable-pip-version-check -e ".[dev,lab,browser]"

# Node's ari-client 2.2 (pinned by bench/node/package-lock.json): the tests run the ARI docs' monkeys app with it
# against the simulator, and the bench compares it with arinb.
if command -v npm >/dev/null 2>&1; then
  npm ci --prefix bench/node --no-audit --no-fund --loglevel=error
else
  echo "setup-dev: npm not found (install Debian's nodejs and npm); the Node ari-client test fails in CI without it" >&2
fi
