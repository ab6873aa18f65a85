#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine:
# system packages (Java, Maven, Chromium), the Python venv, npm packages,
# the built service, and the jars of the Elasticsearch test node.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v java >/dev/null || need_apt+=(default-jdk-headless)
command -v mvn >/dev/null || need_apt+=(maven)
command -v curl >/dev/null || need_apt+=(curl)
command -v node >/dev/null || need_apt+=(nodejs npm)
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "[install] apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  echo "[install] creating .venv"
  python3 -m venv .venv
fi
echo "[install] pip packages"
.venv/bin/pip install -q --disable-pip-version-check -r requirements/test.txt
.venv/bin/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .

echo "[install] npm packages"
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi

echo "[install] building the service"
npm run --silent build:service

echo "[install] Elasticsearch test node"
bash scripts/es-build.sh
