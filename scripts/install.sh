#!/usr/bin/env bash
# Installs what tflog needs to run from this checkout on a fresh Debian
# machine: Node.js (for the build), the Python venv with JupyterLab and
# TensorFlow (for the demo), npm packages, the built service, and tflog itself
# in editable mode. scripts/install-test-deps.sh adds what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v node >/dev/null || need_apt+=(nodejs npm)
command -v curl >/dev/null || need_apt+=(curl)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
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
.venv/bin/pip install -q --disable-pip-version-check -r requirements/run.txt

echo "[install] npm packages"
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi

echo "[install] building the service and the JupyterLab extension"
# The extension build runs `jupyter labextension build` from the venv.
PATH="$PWD/.venv/bin:$PATH" npm run --silent build
.venv/bin/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
# Links tflog/labextension into the venv's JupyterLab (rebuilds show on reload).
PATH="$PWD/.venv/bin:$PATH" jupyter labextension develop --overwrite . >/dev/null
