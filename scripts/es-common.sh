# Sourced by scripts/es-build.sh, es-start.sh and es-stop.sh; not meant to be run.
# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this file

es_log() { echo "$(basename "$0"): $*" >&2; }

ES_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ES_PROJECT_DIR="$(cd "$ES_SCRIPTS_DIR/../testing/elasticsearch" && pwd)"
ES_MAIN_CLASS="tflog.testing.EmbeddedElasticsearch"
# TFLOG_ES_MAJOR picks the Elasticsearch the scripts build and start: 9 (9.5,
# the default) or 8 (8.19). Each has its own build directory, so both coexist.
ES_MAJOR="${TFLOG_ES_MAJOR:-9}"
case "$ES_MAJOR" in
    9)
        ES_TARGET_DIR="$ES_PROJECT_DIR/target"
        ES_MAVEN_PROFILE=""
        # Elasticsearch 9.x runs on Java 21 or newer.
        ES_MIN_JAVA=21
        ES_JAVA_HOME_VAR=TFLOG_ES_JAVA_HOME
        ;;
    8)
        ES_TARGET_DIR="$ES_PROJECT_DIR/target-es8"
        ES_MAVEN_PROFILE="es8"
        # Elasticsearch 8.19 runs on Java 17 or newer (its distribution bundles a newer JDK).
        ES_MIN_JAVA=17
        # TFLOG_ES8_JAVA_HOME picks the JDK of the 8.x node alone (e.g. OpenJDK 17).
        if [ -n "${TFLOG_ES8_JAVA_HOME:-}" ]; then
            ES_JAVA_HOME_VAR=TFLOG_ES8_JAVA_HOME
        else
            ES_JAVA_HOME_VAR=TFLOG_ES_JAVA_HOME
        fi
        ;;
    *)
        es_log "TFLOG_ES_MAJOR must be 8 or 9, got '$ES_MAJOR'"
        exit 2
        ;;
esac
# The JDK forced by the user for this major ("" when none): TFLOG_ES_JAVA_HOME,
# or TFLOG_ES8_JAVA_HOME for 8.x when set.
ES_JAVA_HOME_FORCED="${!ES_JAVA_HOME_VAR:-}"

# Major Java version of a JDK directory ("" when it has no working java).
es_java_major() {
    local v
    v="$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')"
    echo "${v%%.*}"
}

# Prints the JDK to use: the forced one if set (TFLOG_ES_JAVA_HOME, or
# TFLOG_ES8_JAVA_HOME for 8.x; must be a JDK >= ES_MIN_JAVA: 21 for
# Elasticsearch 9, 17 for 8), else Temurin 25, else $JAVA_HOME, else the newest
# JDK >= ES_MIN_JAVA under /usr/lib/jvm.
es_find_java_home() {
    local candidate major
    if [ -n "$ES_JAVA_HOME_FORCED" ]; then
        major="$(es_java_major "$ES_JAVA_HOME_FORCED")"
        if [ -x "$ES_JAVA_HOME_FORCED/bin/javac" ] && [ "${major:-0}" -ge "$ES_MIN_JAVA" ]; then
            echo "$ES_JAVA_HOME_FORCED"
            return 0
        fi
        es_log "$ES_JAVA_HOME_VAR=$ES_JAVA_HOME_FORCED is not a JDK >= $ES_MIN_JAVA (Elasticsearch $ES_MAJOR.x)"
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
    es_log "no JDK >= $ES_MIN_JAVA for Elasticsearch $ES_MAJOR.x found (looked at $ES_JAVA_HOME_VAR, /usr/lib/jvm/temurin-25-jdk-*, JAVA_HOME, /usr/lib/jvm/*)."
    if [ "$ES_MIN_JAVA" -le 17 ]; then
        es_log "apt-get install default-jdk-headless (OpenJDK 17 on Debian 12, 21 on Debian 13)."
    else
        es_log "Debian 13: apt-get install default-jdk-headless (OpenJDK 21); Debian 12's default-jdk is 17, too old for Elasticsearch 9."
    fi
    return 1
}

# True when PID is alive and is our launcher (guards against a recycled pid).
es_pid_is_ours() {
    local pid="$1"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
        tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q "$ES_MAIN_CLASS"
}

# Pids of nodes running from this build's jars (a rebuild would pull the jars
# from under them).
es_running_nodes() {
    local f cmd
    for f in /proc/[0-9]*/cmdline; do
        cmd="$(tr '\0' ' ' 2>/dev/null <"$f")" || continue
        case "$cmd" in
            *"$ES_TARGET_DIR/lib/"*"$ES_MAIN_CLASS"*) f="${f#/proc/}" && echo "${f%/cmdline}" ;;
        esac
    done
}
