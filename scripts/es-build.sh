#!/usr/bin/env bash
# Builds the single-node Elasticsearch used by the integration tests
# (testing/elasticsearch): launcher classes in target/classes, every runtime jar
# (Elasticsearch server, Netty HTTP plugin, Lucene, ...) in target/lib, all from
# Maven Central. Does nothing when the build is newer than pom.xml and src/.
#
# TFLOG_ES_MAJOR=8 builds the Elasticsearch 8.19 node instead (Maven profile
# es8, into testing/elasticsearch/target-es8); the default, 9, is 9.5.
#
# Needs: maven (Debian package "maven") and a JDK: Temurin 25 under /usr/lib/jvm
# when present, else the newest JDK >= 21 for Elasticsearch 9 (Debian 13's
# "default-jdk-headless", OpenJDK 21; Debian 12's OpenJDK 17 is too old) or
# >= 17 for Elasticsearch 8 (Debian 12's "default-jdk-headless" will do).
# Set TFLOG_ES_JAVA_HOME to force a JDK (TFLOG_ES8_JAVA_HOME: for the 8.x node only).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=es-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/es-common.sh"

stamp="$ES_TARGET_DIR/.build-stamp"
mkdir -p "$ES_TARGET_DIR"

# Serialise concurrent builds (e.g. two test runners starting nodes at once).
exec 9>"$ES_TARGET_DIR/.build-lock"
flock 9

up_to_date() {
    [ -f "$stamp" ] && [ -d "$ES_TARGET_DIR/lib" ] && [ -f "$ES_TARGET_DIR/java-home" ] &&
        [ -x "$(cat "$ES_TARGET_DIR/java-home")/bin/java" ] &&
        { [ -z "$ES_JAVA_HOME_FORCED" ] || [ "$ES_JAVA_HOME_FORCED" = "$(cat "$ES_TARGET_DIR/java-home")" ]; } &&
        [ -z "$(find "$ES_PROJECT_DIR/pom.xml" "$ES_PROJECT_DIR/src" -newer "$stamp" -print -quit)" ]
}

if up_to_date; then
    es_log "up to date ($ES_TARGET_DIR)"
    exit 0
fi

running="$(es_running_nodes | xargs)"
if [ -n "$running" ]; then
    es_log "pom.xml or src/ changed, but nodes run from this build (pids: $running); stop them first"
    exit 1
fi

java_home="$(es_find_java_home)"
if ! command -v mvn >/dev/null 2>&1; then
    es_log "mvn not found: apt-get install maven"
    exit 1
fi

es_log "building Elasticsearch $ES_MAJOR.x into $ES_TARGET_DIR with JAVA_HOME=$java_home"
rm -f "$stamp"
# copy-dependencies never deletes: drop jars of a previous Elasticsearch version
rm -rf "${ES_TARGET_DIR:?}/lib" "${ES_TARGET_DIR:?}/classes"
maven_opts="${MAVEN_OPTS:-}"
if [ "$(es_java_major "$java_home")" -ge 24 ]; then
    # Maven 3.8's bundled Guava uses sun.misc.Unsafe; silence JDK 24+'s warnings about it.
    maven_opts="$maven_opts --sun-misc-unsafe-memory-access=allow"
fi
build_log="$ES_TARGET_DIR/build.log"
mvn_args=(-B -Dstyle.color=never -f "$ES_PROJECT_DIR/pom.xml")
if [ -n "$ES_MAVEN_PROFILE" ]; then
    mvn_args+=(-P "$ES_MAVEN_PROFILE")
fi
if ! JAVA_HOME="$java_home" MAVEN_OPTS="$maven_opts" mvn "${mvn_args[@]}" package >"$build_log" 2>&1; then
    grep -E '\[(ERROR|FATAL)\]' "$build_log" | head -n 40 >&2 || tail -n 40 "$build_log" >&2
    es_log "maven build failed; full output in $build_log"
    exit 1
fi
echo "$java_home" >"$ES_TARGET_DIR/java-home"
touch "$stamp"
es_log "built: $(find "$ES_TARGET_DIR/lib" -name '*.jar' | wc -l) jars in $ES_TARGET_DIR/lib"
