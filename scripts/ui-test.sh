#!/usr/bin/env bash
# UI tests of the Training panel: Galata (Playwright) in Debian's Chromium,
# against a real JupyterLab, the real tflog service and a real Elasticsearch.
#
#   bash scripts/ui-test.sh [playwright args...]
#
# 1. installs what is missing: Chromium (apt), ui-tests/ npm packages, the
#    labextension link into .venv, a JupyterLab 4.0.x venv for the load check
# 2. starts an Elasticsearch node (scripts/es-start.sh) unless
#    TFLOG_TEST_ES_URL names one
# 3. runs every spec in ui-tests/tests against the newest JupyterLab (.venv),
#    storing in Elasticsearch; Playwright starts and stops the Jupyter server
# 4. runs the smoke spec against JupyterLab 4.0.x (.tflog-test/jlab40-venv),
#    with the embedded store
# 5. stops everything; work directories are kept only when something failed
#
# Extra arguments go to the first playwright run (e.g. tests/theme.spec.ts,
# --grep rename). Env: TFLOG_SKIP_INSTALL=1 (install nothing that is missing
# from npm or PyPI; fail instead), TFLOG_UI_SKIP_OLD=1 (no 4.0.x run),
# TFLOG_UI_PORT (default 18900; the 4.0.x server uses the next port),
# TFLOG_UI_ES_PORT (default 18902), TFLOG_UI_OLD_JUPYTERLAB (default 4.0.*).
# Never runs `playwright install`: the browser is /usr/bin/chromium.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
venv="$root/.venv"
old_venv="$root/.tflog-test/jlab40-venv"
port=${TFLOG_UI_PORT:-18900}
old_port=$((port + 1))
es_port=${TFLOG_UI_ES_PORT:-18902}
old_jupyterlab=${TFLOG_UI_OLD_JUPYTERLAB:-4.0.*}
skip_install=${TFLOG_SKIP_INSTALL:-0}

log() { echo "[ui-test] $*" >&2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tflog-ui-XXXXXX")
es_dir="$work/es"
started_es=0
failed=()

cleanup() {
    if [ "$started_es" = 1 ]; then
        bash scripts/es-stop.sh "$es_dir" >/dev/null 2>&1 || log "could not stop Elasticsearch in $es_dir"
    fi
    if [ "${#failed[@]}" -eq 0 ]; then
        rm -rf "$work"
    else
        log "kept $work (server logs: */jupyter.log, reports: */report, traces: */test-results)"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- what the tests need --------------------------------------------------

install_chromium() {
    command -v chromium >/dev/null 2>&1 && return 0
    log "installing Debian's chromium"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >&2; then
        apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >&2
    fi
}

install_npm_packages() {
    # npm ci only when the lock file changed since the last install.
    if [ -f ui-tests/node_modules/.package-lock.json ] &&
        [ ui-tests/node_modules/.package-lock.json -nt ui-tests/package-lock.json ]; then
        return 0
    fi
    if [ "$skip_install" = 1 ]; then
        log "ui-tests/node_modules is missing or stale and TFLOG_SKIP_INSTALL=1"
        return 1
    fi
    log "installing ui-tests npm packages"
    (cd ui-tests && npm ci --no-audit --no-fund >&2)
}

# Links tflog/labextension into a venv's labextensions directory (what a
# wheel install puts there), building it first when it is missing.
link_labextension() {
    local env_dir=$1
    if [ ! -f tflog/labextension/package.json ]; then
        log "tflog/labextension is missing: building it (npm run build:labextension)"
        npm run build:labextension >&2 || return 1
    fi
    # develop runs jupyter-builder from PATH: the venv's own.
    PATH="$env_dir/bin:$PATH" "$env_dir/bin/jupyter" labextension develop --overwrite . >&2
}

# JupyterLab 4.0.x beside the newest, for the load check: the prebuilt
# extension must load in every 4.x.
prepare_old_jupyterlab() {
    if [ ! -x "$old_venv/bin/jupyter-lab" ]; then
        if [ "$skip_install" = 1 ]; then
            log "$old_venv is missing and TFLOG_SKIP_INSTALL=1"
            return 1
        fi
        log "creating $old_venv with jupyterlab==$old_jupyterlab"
        rm -rf "$old_venv"
        "$venv/bin/python" -m venv "$old_venv" >&2 &&
            "$old_venv/bin/pip" install -q "jupyterlab==$old_jupyterlab" \
                "jupyter-server-proxy>=4.2" >&2 || return 1
    fi
    # tflog itself from this checkout, without its build hooks (the service
    # bundle and labextension are built already) and without other packages.
    if ! "$old_venv/bin/pip" show tflog >/dev/null 2>&1; then
        HATCH_BUILD_NO_HOOKS=true "$old_venv/bin/pip" install -q --no-deps -e . >&2 || return 1
    fi
    link_labextension "$old_venv"
}

# --- running the suite ----------------------------------------------------

# run_playwright NAME JUPYTER PORT ES_URL [playwright args...]
run_playwright() {
    local name=$1 jupyter=$2 server_port=$3 es_url=$4
    shift 4
    echo
    echo "=== ui-$name: playwright test $*"
    if (
        cd ui-tests &&
            TFLOG_UI_JUPYTER="$jupyter" TFLOG_UI_PORT="$server_port" \
                TFLOG_UI_ES_URL="$es_url" TFLOG_UI_WORK_DIR="$work/$name" \
                TFLOG_UI_INDEX_PREFIX="tflog-ui-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')-" \
                npx playwright test "$@"
    ); then
        echo "=== ui-$name: ok"
    else
        echo "=== ui-$name: FAILED"
        failed+=("ui-$name")
        if [ -f "$work/$name/jupyter.log" ]; then
            echo "----- last lines of $work/$name/jupyter.log -----"
            tail -n 40 "$work/$name/jupyter.log"
        fi
    fi
}

step() {
    local name=$1
    shift
    if ! "$@"; then
        echo "=== $name: FAILED"
        failed+=("$name")
        return 1
    fi
}

step chromium install_chromium
step ui-npm install_npm_packages
step labextension link_labextension "$venv"

es_url=${TFLOG_TEST_ES_URL:-}
if [ -z "$es_url" ]; then
    if es_url=$(bash scripts/es-start.sh "$es_port" "$es_dir"); then
        started_es=1
    else
        echo "=== elasticsearch: could not start the test node (see above)"
        failed+=("elasticsearch")
        es_url=""
    fi
fi

if [ "${#failed[@]}" -eq 0 ]; then
    run_playwright newest "$venv/bin/jupyter" "$port" "$es_url" "$@"
    if [ "${TFLOG_UI_SKIP_OLD:-0}" != 1 ]; then
        if step jupyterlab-4.0 prepare_old_jupyterlab; then
            run_playwright jupyterlab-4.0 "$old_venv/bin/jupyter" "$old_port" "" tests/smoke.spec.ts
        fi
    fi
fi

echo
if [ "${#failed[@]}" -gt 0 ]; then
    echo "tflog ui tests: FAILED: ${failed[*]}"
    exit 1
fi
echo "tflog ui tests: every suite passed"
