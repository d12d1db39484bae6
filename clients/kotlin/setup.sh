#!/usr/bin/env bash
# Installs what the Kotlin SDK's code generation and tests need, on a fresh
# Debian machine as root:
#   - a JDK 17 and Maven from apt, if `java` (17 or later) or `mvn` is missing;
#   - from Maven Central, through mvn, into the local Maven repository
#     (~/.m2/repository, or $M2_REPO): protoc (com.google.protobuf:protoc,
#     linux-x86_64) and the protoc-gen-connect-kotlin jar, at the versions
#     pinned in pom.xml, which bin/protoc and bin/protoc-gen-connect-kotlin run;
#   - every dependency and plugin of the Maven build, so later builds and test
#     runs need no network.
# After it, `go tool buf generate` at the repository root finds the Kotlin
# entries' plugins. (Go, which buf and clients/with-server.sh need, is the
# server's prerequisite: see server/scripts/setup.sh.)
# Idempotent: when pom.xml is unchanged since the last successful run and the
# tools are in place, it does nothing else.
#   bash clients/kotlin/setup.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bin/tool-versions.sh
. "$here/bin/tool-versions.sh"

java_ok() {
  command -v java >/dev/null 2>&1 && command -v javac >/dev/null 2>&1 || return 1
  local v
  v="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  [ "${v%%.*}" -ge 17 ] 2>/dev/null
}
if ! java_ok || ! command -v mvn >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  pkgs=()
  java_ok || pkgs+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null 2>&1 || pkgs+=(maven)
  apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi

mvn_args=(-B -q)
if [ -n "${M2_REPO:-}" ]; then
  mvn_args+=("-Dmaven.repo.local=$M2_REPO")
fi
dependency_plugin=org.apache.maven.plugins:maven-dependency-plugin:3.11.0

stamp="$m2_repo/.backbeat-kotlin-setup"
want="$(sha256sum "$here/pom.xml" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$protoc_exe" ] && [ -f "$connect_kotlin_plugin_jar" ]; then
  exit 0
fi

if [ ! -f "$protoc_exe" ]; then
  mvn "${mvn_args[@]}" "$dependency_plugin:get" -Dtransitive=false \
    "-Dartifact=com.google.protobuf:protoc:$protobuf_version:exe:linux-x86_64"
fi
chmod +x "$protoc_exe"
if [ ! -f "$connect_kotlin_plugin_jar" ]; then
  mvn "${mvn_args[@]}" "$dependency_plugin:get" -Dtransitive=false \
    "-Dartifact=com.connectrpc:protoc-gen-connect-kotlin:$connect_kotlin_plugin_version"
fi
"$here/bin/protoc" --version >/dev/null

# The build's dependencies and plugins (the Kotlin compiler among them).
(cd "$here" && mvn "${mvn_args[@]}" "$dependency_plugin:go-offline")

mkdir -p "$(dirname "$stamp")"
echo "$want" >"$stamp"
