#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine: what
# scripts/install.sh installs, plus Java and Maven, the test packages, and the
# jars of the Elasticsearch test node.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh

# Java and Maven for the Elasticsearch test node (ES 9 needs Java 21+, see
# testing/elasticsearch/README.md).
need_apt=()
command -v java >/dev/null || need_apt+=(default-jdk-headless)
command -v mvn >/dev/null || need_apt+=(maven)
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "[install] apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

echo "[install] test packages"
.venv/bin/pip install -q --disable-pip-version-check -r requirements/test.txt

# The kernel side must run on Python 3.8 (the TensorFlow 2.9 images): its
# unit tests run again under a real 3.8 interpreter.
py38=""
for candidate in "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/3.8*/bin/python python3.8; do
  if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 8)' 2>/dev/null; then
    py38=$candidate
  fi
done
if [ -n "$py38" ]; then
  if [ ! -x .tflog-test/py38/bin/python ]; then
    echo "[install] Python 3.8 venv from $py38"
    "$py38" -m venv .tflog-test/py38
  fi
  .tflog-test/py38/bin/pip install -q --disable-pip-version-check "ipython<8.13" "pytest<8.4"
else
  echo "[install] no Python 3.8 interpreter found: the kernel-python38 suite will fail"
fi

echo "[install] Elasticsearch test node"
bash scripts/es-build.sh
