#!/usr/bin/env bash
# The image-py38 suite: tflog in the users' TensorFlow 2.9 image (Python 3.8,
# tensorflow-cpu 2.9.3, numpy 1.23, JupyterLab 4.3), installed the way
# administrators install it, with no Node.js on PATH.
#
#   bash scripts/test-image-py38.sh
#
# 1. makes sure of the venv .tflog-test/image-py38/venv
#    (scripts/install-image-py38.sh; kept between runs)
# 2. builds the sdist and the wheel from this checkout (hatchling, with its
#    build hook: npm runs only if service/src or src/ changed since the last
#    build)
# 3. for the wheel, then the sdist (built into a wheel by pip, in an isolated
#    build, with PATH holding only the venv's bin): uninstalls tflog, installs
#    it from that dist, `pip check`, then
#    - tests/packaging/test_image_py38.py: `jupyter labextension list` names
#      the Python package, the `tflog` command, and a real Jupyter server whose
#      extension starts the service on the bundled Node.js, a real kernel that
#      runs a %%tflog Keras 2.9 fit, the run and its exact epoch metrics read
#      back through the service's API, the extension's static files served
#    - ui-tests/tests/smoke.spec.ts (Galata/Playwright in Chromium) against
#      the venv's JupyterLab, its server run with the same minimal PATH: the
#      tflog plugins are activated and the Training panel reaches the service
#
# Env: TFLOG_SKIP_INSTALL=1 (install nothing; fail when the venv is missing),
# TFLOG_IMAGE_UI_PORT (default 18906), TFLOG_IMAGE_DISTS=wheel,sdist (which
# installs to test).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
dir="$root/.tflog-test/image-py38"
venv="$dir/venv"
dist="$dir/dist"
ui_port=${TFLOG_IMAGE_UI_PORT:-18906}
dists=${TFLOG_IMAGE_DISTS:-wheel,sdist}
failed=()
timings=()

log() { echo "[image-py38] $*" >&2; }
now() { date +%s; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tflog-image-XXXXXX")
cleanup() {
    if [ "${#failed[@]}" -eq 0 ]; then
        rm -rf "$work"
    else
        log "kept $work (install logs, Playwright's jupyter.log, report and traces)"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs a command in the image's environment: PATH is the venv's bin alone
# (it has no node), nothing else inherited but HOME, a locale, and pip's
# settings and proxies (pip reaches PyPI for the sdist's build requirements).
in_image() {
    local name keep=()
    while IFS= read -r name; do
        keep+=("$name=${!name}")
    done < <(compgen -e | grep -E '^(PIP_[A-Z_]+|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy)$')
    # Outside the checkout: Python puts the working directory on sys.path.
    (cd "$work" && env -i HOME="$HOME" LANG=C.UTF-8 "${keep[@]}" PATH="$venv/bin" "$@")
}

step() {
    local name=$1
    shift
    local started
    started=$(now)
    echo "=== image-py38 $name"
    if "$@"; then
        timings+=("$name $(($(now) - started))s")
        echo "=== image-py38 $name: ok ($(($(now) - started)) s)"
        return 0
    fi
    timings+=("$name FAILED $(($(now) - started))s")
    echo "=== image-py38 $name: FAILED"
    failed+=("$name")
    return 1
}

prepare_venv() {
    if [ "${TFLOG_SKIP_INSTALL:-0}" = 1 ]; then
        [ -x "$venv/bin/python" ] || {
            log "$venv is missing and TFLOG_SKIP_INSTALL=1"
            return 1
        }
        return 0
    fi
    bash scripts/install-image-py38.sh
}

build_dists() {
    rm -rf "$dist"
    "$root/.venv/bin/hatchling" build -d "$dist" || return 1
    ls "$dist"/tflog-*.whl "$dist"/tflog-*.tar.gz >/dev/null
}

install_from() {
    local kind=$1 file
    case $kind in
        wheel) file=$(ls "$dist"/tflog-*.whl) ;;
        sdist) file=$(ls "$dist"/tflog-*.tar.gz) ;;
        *) return 1 ;;
    esac
    in_image "$venv/bin/pip" uninstall -q -y tflog >"$work/uninstall-$kind.log" 2>&1
    if in_image "$venv/bin/python" -c 'import tflog' 2>/dev/null; then
        log "tflog is still importable after pip uninstall"
        return 1
    fi
    # No cache: pip builds the sdist every time (its build needs no npm).
    if ! in_image "$venv/bin/pip" install --no-cache-dir --disable-pip-version-check "$file" \
        >"$work/install-$kind.log" 2>&1; then
        cat "$work/install-$kind.log"
        return 1
    fi
    if [ "$kind" = sdist ] && ! grep -q "Building wheel for tflog" "$work/install-$kind.log"; then
        cat "$work/install-$kind.log"
        log "pip did not build the sdist"
        return 1
    fi
    in_image "$venv/bin/pip" check
}

# The Galata smoke spec, as scripts/ui-test.sh runs it against JupyterLab 4.0,
# with the venv's jupyter behind a wrapper that gives it the minimal PATH.
smoke_spec() {
    local kind=$1
    local jupyter="$work/jupyter-$kind"
    printf '#!/bin/sh\nexec /usr/bin/env PATH=%q %q "$@"\n' "$venv/bin" "$venv/bin/jupyter" >"$jupyter"
    chmod +x "$jupyter"
    (
        cd ui-tests &&
            TFLOG_UI_JUPYTER="$jupyter" TFLOG_UI_PORT="$ui_port" TFLOG_UI_ES_URL="" \
                TFLOG_UI_WORK_DIR="$work/ui-$kind" npx playwright test tests/smoke.spec.ts
    )
    local rc=$?
    if [ "$rc" != 0 ] && [ -f "$work/ui-$kind/jupyter.log" ]; then
        echo "----- last lines of $work/ui-$kind/jupyter.log -----"
        tail -n 40 "$work/ui-$kind/jupyter.log"
    fi
    return "$rc"
}

started_all=$(now)
if step venv prepare_venv && step build build_dists; then
    IFS=, read -r -a kinds <<<"$dists"
    for kind in "${kinds[@]}"; do
        step "install-$kind" install_from "$kind" || continue
        step "server-kernel-$kind" env TFLOG_IMAGE_VENV="$venv" TFLOG_IMAGE_INSTALLED_FROM="$kind" \
            "$root/.venv/bin/python" -m pytest tests/packaging/test_image_py38.py -q -s \
            -p no:cacheprovider
        step "smoke-$kind" smoke_spec "$kind"
    done
fi

echo
echo "image-py38 timings: ${timings[*]}; total $(($(now) - started_all)) s"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "image-py38: FAILED: ${failed[*]}"
    exit 1
fi
echo "image-py38: every step passed"
