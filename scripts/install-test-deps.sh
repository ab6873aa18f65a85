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

echo "[install] Elasticsearch test node"
bash scripts/es-build.sh
