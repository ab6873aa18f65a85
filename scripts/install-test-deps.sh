#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine: what
# scripts/install.sh installs, plus Java and Maven, the test packages, and the
# jars of the Elasticsearch test node.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh

# Java and Maven for the Elasticsearch test nodes (see
# testing/elasticsearch/README.md): 9.5 needs a JDK >= 21 (Temurin 25 on the
# machine image; Debian 13's default-jdk), 8.19 a JDK >= 17 (Debian 12's
# default-jdk will do). es_find_java_home is what es-build.sh uses.
need_apt=()
# shellcheck disable=SC2016 # expanded by the inner shell
if ! TFLOG_ES_MAJOR=8 bash -c '. "$1/es-common.sh" && es_find_java_home' install "$PWD/scripts" >/dev/null 2>&1; then
  need_apt+=(default-jdk-headless)
fi
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

# The image-py38 suite: a venv like the users' TensorFlow 2.9 image (Python
# 3.8, tensorflow-cpu 2.9.3, JupyterLab 4.3); kept between runs.
bash scripts/install-image-py38.sh

echo "[install] Elasticsearch test nodes (9.5 and 8.19)"
bash scripts/es-build.sh
TFLOG_ES_MAJOR=8 bash scripts/es-build.sh
