#!/usr/bin/env bash
# Stops the test Elasticsearch node started by scripts/es-start.sh.
#
#   scripts/es-stop.sh [DATA_DIR]
#
# DATA_DIR defaults to $TFLOG_ES_DIR or the default of es-start.sh for
# TFLOG_ES_MAJOR (testing/elasticsearch/target/es-data for 9, target-es8/es-data
# for 8); a node of either major is stopped.
#
# Sends SIGTERM (clean shutdown: shards flushed, node lock released), then
# SIGKILL if it is still alive after $TFLOG_ES_STOP_TIMEOUT seconds (default 30).
# Exits 0 when no node runs for DATA_DIR, also when none was running.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=es-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/es-common.sh"

data_dir="${1:-${TFLOG_ES_DIR:-$ES_TARGET_DIR/es-data}}"
timeout_s="${TFLOG_ES_STOP_TIMEOUT:-30}"
pid_file="$data_dir/elasticsearch.pid"
url_file="$data_dir/elasticsearch.url"

if [ ! -f "$pid_file" ]; then
    es_log "not running (no $pid_file)"
    exit 0
fi
pid="$(cat "$pid_file")"
if ! es_pid_is_ours "$pid"; then
    es_log "not running (stale pid file removed)"
    rm -f "$pid_file" "$url_file"
    exit 0
fi

kill -TERM "$pid" 2>/dev/null || true
deadline=$((SECONDS + timeout_s))
while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 0.2
done
if kill -0 "$pid" 2>/dev/null; then
    es_log "still alive after ${timeout_s}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
fi
rm -f "$pid_file" "$url_file"
es_log "stopped (pid $pid)"
