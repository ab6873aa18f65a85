#!/usr/bin/env bash
# The one test command: installs what the tests need, then runs every suite
# (lint, unit, integration against a real Elasticsearch node, real kernels,
# real Keras fits, Galata UI tests in Chromium). Set TFLOG_TEST_ES_URL to run
# against an existing cluster instead of the node this script starts.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ "${TFLOG_SKIP_INSTALL:-0}" != "1" ]; then
  bash scripts/install-test-deps.sh || { echo "install failed"; exit 1; }
fi
export PATH="$root/.venv/bin:$PATH"

failed=()
run() {
  local name=$1
  shift
  echo
  echo "=== $name: $*"
  if "$@"; then
    echo "=== $name: ok"
  else
    echo "=== $name: FAILED"
    failed+=("$name")
  fi
}

run lint-ts npx eslint .
run format-ts npx prettier --check .
run lint-css npm run --silent lint:css
run lint-py ruff check .
run format-py ruff format --check .
run py38-syntax vermin -q -t=3.8- --no-tips --violations --eval-annotations tflog
run unit-service npx jest --config service/jest.config.js --ci
run unit-frontend npm run --silent test:frontend -- --ci
run unit-python python -m pytest tests/python -q -p no:cacheprovider
# The kernel side again on a real Python 3.8, without TensorFlow (no wheel of
# tensorflow-cpu for 3.8 is current); the Keras fits ran above.
run kernel-python38 .tflog-test/py38/bin/python -m pytest tests/python/kernel -q \
  -p no:cacheprovider --ignore tests/python/kernel/test_kernel_keras_real.py

# Integration: a real Elasticsearch node unless one is given.
es_dir="$root/.tflog-test/es"
started_es=0
if [ -z "${TFLOG_TEST_ES_URL:-}" ]; then
  port=${TFLOG_TEST_ES_PORT:-19250}
  rm -rf "$es_dir"
  if bash scripts/es-start.sh "$port" "$es_dir"; then
    export TFLOG_TEST_ES_URL="http://127.0.0.1:$port"
    started_es=1
  else
    echo "=== elasticsearch: could not start the test node (see above)"
    failed+=("elasticsearch")
  fi
fi
if [ -n "${TFLOG_TEST_ES_URL:-}" ]; then
  run integration-service npx jest --config service/jest.integration.config.js --ci --runInBand
  run integration-python python -m pytest tests/integration -q -p no:cacheprovider
  run ui bash scripts/ui-test.sh
fi
if [ "$started_es" = "1" ]; then
  bash scripts/es-stop.sh "$es_dir" || true
fi

echo
if [ "${#failed[@]}" -gt 0 ]; then
  echo "tflog tests: FAILED suites: ${failed[*]}"
  exit 1
fi
echo "tflog tests: every suite passed"
