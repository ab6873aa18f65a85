#!/usr/bin/env bash
# Installs what the benchmarks need beyond the test setup
# (scripts/install-test-deps.sh):
#   - the peers' Python packages (requirements/bench.txt) into .venv, with
#     every package already there pinned to its installed version, so the
#     test environment is never changed under the tests;
#   - rsyslog and its omelasticsearch module (Debian packages), for the
#     ingest peer; the installed service is never started or configured;
#   - Debian's Chromium, the ui-tests npm packages (playwright-core) and the
#     labextension linked into .venv, for the latency benchmark;
#   - the service build (service/lib and the bundle the Jupyter server
#     runs), current with service/src.
# Does nothing that is already done. TFLOG_SKIP_INSTALL=1: install nothing,
# fail when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
skip_install=${TFLOG_SKIP_INSTALL:-0}

log() { echo "[bench-setup] $*" >&2; }
missing() {
    if [ "$skip_install" = 1 ]; then
        log "$1 is missing and TFLOG_SKIP_INSTALL=1"
        exit 1
    fi
    log "installing $1"
}

apt_install() {
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2; then
        apt-get update >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2
    fi
}

if [ ! -x "$venv/bin/python" ]; then
    log "$venv is missing: run scripts/install-test-deps.sh first"
    exit 1
fi

if ! "$venv/bin/python" -c 'import mlflow, tensorboard, pandas' 2>/dev/null; then
    missing "requirements/bench.txt"
    constraints=$(mktemp)
    trap 'rm -f "$constraints"' EXIT
    "$venv/bin/pip" freeze --exclude-editable >"$constraints"
    "$venv/bin/pip" install -q -r requirements/bench.txt -c "$constraints" >&2
fi

if ! command -v rsyslogd >/dev/null 2>&1 && [ ! -x /usr/sbin/rsyslogd ] ||
    ! compgen -G "/usr/lib/*/rsyslog/omelasticsearch.so" >/dev/null; then
    missing "rsyslog and rsyslog-elasticsearch"
    apt_install rsyslog rsyslog-elasticsearch
fi

if ! command -v chromium >/dev/null 2>&1; then
    missing "chromium"
    apt_install chromium
fi

if [ ! -f ui-tests/node_modules/.package-lock.json ] ||
    [ ui-tests/node_modules/.package-lock.json -ot ui-tests/package-lock.json ]; then
    missing "the ui-tests npm packages"
    (cd ui-tests && npm ci --no-audit --no-fund >&2)
fi

# The latency benchmark opens the Training panel: the labextension must be
# in .venv (as scripts/ui-test.sh links it).
if ! "$venv/bin/jupyter" labextension list 2>&1 | grep -q '^ *tflog v'; then
    missing "the tflog labextension in $venv"
    [ -f tflog/labextension/package.json ] || npm run build:labextension >&2
    PATH="$venv/bin:$PATH" "$venv/bin/jupyter" labextension develop --overwrite . >&2
fi

# The service as the benchmarks run it: service/lib (incremental, quick when
# current) for the parts that start it themselves, and the bundle the Jupyter
# server runs (about a second) for those that go through a server.
npm run build:service >&2
log "ready"
