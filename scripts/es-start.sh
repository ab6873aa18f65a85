#!/usr/bin/env bash
# Starts the test Elasticsearch node in the background and waits until it answers.
#
#   scripts/es-start.sh [PORT] [DATA_DIR]
#
# PORT      HTTP port on 127.0.0.1 (default $TFLOG_ES_PORT or 9200; 0 = any free port)
# DATA_DIR  node home: indices in DATA_DIR/data, plus elasticsearch.pid,
#           elasticsearch.url and elasticsearch.log
#           (default $TFLOG_ES_DIR or testing/elasticsearch/target/es-data)
#
# Prints the URL (only that) on stdout and exits 0 once GET / returns the cluster
# JSON; otherwise prints the log tail and exits non-zero. Builds first when needed.
# If a node already runs for DATA_DIR on that port (or PORT is 0), prints its URL.
# Env: TFLOG_ES_MAJOR (9, the default: Elasticsearch 9.5; 8: Elasticsearch 8.19,
# whose default DATA_DIR is testing/elasticsearch/target-es8/es-data),
# TFLOG_ES_JAVA_OPTS (JVM options), TFLOG_ES_START_TIMEOUT (seconds, default 120).
# Stop it with scripts/es-stop.sh DATA_DIR. Tests that set TFLOG_TEST_ES_URL use
# that cluster instead and never call this script.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=es-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/es-common.sh"

port="${1:-${TFLOG_ES_PORT:-9200}}"
data_dir="${2:-${TFLOG_ES_DIR:-$ES_TARGET_DIR/es-data}}"
timeout_s="${TFLOG_ES_START_TIMEOUT:-120}"
java_opts="${TFLOG_ES_JAVA_OPTS:--Xms128m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}"

case "$port" in '' | *[!0-9]*) es_log "PORT must be a number, got '$port'"; exit 2 ;; esac

mkdir -p "$data_dir"
data_dir="$(cd "$data_dir" && pwd)"
pid_file="$data_dir/elasticsearch.pid"
log_file="$data_dir/elasticsearch.log"
url_file="$data_dir/elasticsearch.url"

# GET / of a running node returns the cluster JSON, of the major asked for
answers() {
    local body
    body="$(curl -sf --max-time 5 "$1/" 2>/dev/null)" || return 1
    grep -q '"cluster_name"' <<<"$body" && grep -Eq "\"number\" *: *\"$ES_MAJOR\." <<<"$body"
}

if [ -f "$pid_file" ]; then
    old_pid="$(cat "$pid_file")"
    if es_pid_is_ours "$old_pid"; then
        running_url="$(cat "$url_file" 2>/dev/null || true)"
        if [ -n "$running_url" ] && { [ "$port" = 0 ] || [ "$running_url" = "http://127.0.0.1:$port" ]; } &&
            answers "$running_url"; then
            es_log "already running (pid $old_pid)"
            echo "$running_url"
            exit 0
        fi
        es_log "a node (pid $old_pid) already runs for $data_dir${running_url:+ at $running_url} (not Elasticsearch $ES_MAJOR.x on port $port); stop it with scripts/es-stop.sh $data_dir"
        exit 1
    fi
    rm -f "$pid_file" "$url_file" # left by a killed node
fi

# Binding happens late in startup; catch the common clash early.
if [ "$port" != 0 ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    es_log "port $port on 127.0.0.1 is already in use"
    exit 1
fi

"$ES_SCRIPTS_DIR/es-build.sh"
java_home="$(cat "$ES_TARGET_DIR/java-home")"

touch "$log_file"
first_line=$(($(wc -l <"$log_file") + 1))
echo "=== es-start $(date -u +%FT%TZ) Elasticsearch $ES_MAJOR.x port $port java $java_home" >>"$log_file"

# setsid: the node outlives this script and is not hit by the caller's Ctrl-C.
# shellcheck disable=SC2086
setsid "$java_home/bin/java" $java_opts \
    -XX:+ExitOnOutOfMemoryError -Dfile.encoding=UTF-8 -Djava.locale.providers=CLDR \
    --enable-native-access=ALL-UNNAMED \
    -cp "$ES_TARGET_DIR/classes:$ES_TARGET_DIR/lib/*" "$ES_MAIN_CLASS" "$port" "$data_dir" \
    >>"$log_file" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$pid_file"

fail() {
    es_log "$1"
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pid_file" "$url_file"
    echo "----- last lines of $log_file -----" >&2
    tail -n +"$first_line" "$log_file" | grep -v '^[[:space:]]*at ' | tail -n 40 >&2
    exit 1
}

deadline=$((SECONDS + timeout_s))
while :; do
    # READY comes from our own process, so whatever answers on that port is this node.
    url="$(tail -n +"$first_line" "$log_file" | sed -n 's/^ELASTICSEARCH READY \(http:[^ ]*\).*/\1/p' | head -n 1)"
    if [ -n "$url" ]; then
        answers "$url" && break
        fail "node reported ready but GET $url/ did not return the cluster JSON of Elasticsearch $ES_MAJOR.x"
    fi
    kill -0 "$pid" 2>/dev/null || fail "node exited during startup"
    [ "$SECONDS" -lt "$deadline" ] || fail "node not ready after ${timeout_s}s"
    sleep 0.5
done

echo "$url" >"$url_file"
es_log "ready at $url (pid $pid, data $data_dir)"
echo "$url"
