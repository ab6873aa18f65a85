# Sourced by scripts/es-build.sh, es-start.sh and es-stop.sh; not meant to be run.
# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this file

ES_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ES_PROJECT_DIR="$(cd "$ES_SCRIPTS_DIR/../testing/elasticsearch" && pwd)"
ES_TARGET_DIR="$ES_PROJECT_DIR/target"
ES_MAIN_CLASS="tflog.testing.EmbeddedElasticsearch"
# Elasticsearch 9.x runs on Java 21 or newer.
ES_MIN_JAVA=21

es_log() { echo "$(basename "$0"): $*" >&2; }

# Major Java version of a JDK directory ("" when it has no working java).
es_java_major() {
    local v
    v="$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')"
    echo "${v%%.*}"
}

# Prints the JDK to use: TFLOG_ES_JAVA_HOME if set (must be a JDK >= 21), else
# Temurin 25, else $JAVA_HOME, else the newest JDK >= 21 under /usr/lib/jvm.
es_find_java_home() {
    local candidate major
    if [ -n "${TFLOG_ES_JAVA_HOME:-}" ]; then
        major="$(es_java_major "$TFLOG_ES_JAVA_HOME")"
        if [ -x "$TFLOG_ES_JAVA_HOME/bin/javac" ] && [ "${major:-0}" -ge "$ES_MIN_JAVA" ]; then
            echo "$TFLOG_ES_JAVA_HOME"
            return 0
        fi
        es_log "TFLOG_ES_JAVA_HOME=$TFLOG_ES_JAVA_HOME is not a JDK >= $ES_MIN_JAVA"
        return 1
    fi
    # shellcheck disable=SC2046,SC2012 # JDK directory names have no spaces; -rV: java-25-* before java-21-*
    for candidate in /usr/lib/jvm/temurin-25-jdk-* "${JAVA_HOME:-}" \
        $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sed 's:/$::' | sort -rV); do
        if [ -z "$candidate" ] || [ ! -x "$candidate/bin/java" ] || [ ! -x "$candidate/bin/javac" ]; then
            continue
        fi
        major="$(es_java_major "$candidate")"
        if [ "${major:-0}" -ge "$ES_MIN_JAVA" ]; then
            echo "$candidate"
            return 0
        fi
    done
    es_log "no JDK >= $ES_MIN_JAVA found (looked at TFLOG_ES_JAVA_HOME, /usr/lib/jvm/temurin-25-jdk-*, JAVA_HOME, /usr/lib/jvm/*)."
    es_log "Debian 13: apt-get install default-jdk-headless (OpenJDK 21); Debian 12's default-jdk is 17, too old for Elasticsearch 9."
    return 1
}

# True when PID is alive and is our launcher (guards against a recycled pid).
es_pid_is_ours() {
    local pid="$1"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$ES_MAIN_CLASS"
}

# Pids of nodes running from this build's jars (a rebuild would pull the jars
# from under them).
es_running_nodes() {
    local f cmd
    for f in /proc/[0-9]*/cmdline; do
        cmd="$(tr '\0' ' ' <"$f" 2>/dev/null)" || continue
        case "$cmd" in
            *"$ES_TARGET_DIR/lib/"*"$ES_MAIN_CLASS"*) f="${f#/proc/}" && echo "${f%/cmdline}" ;;
        esac
    done
}
