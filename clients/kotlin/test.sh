#!/usr/bin/env bash
# Runs the Kotlin SDK's JUnit tests against live Backbeat servers started by
# clients/with-server.sh (demo data, fresh data directory, free port):
#   1. every test but the "expiry" tag, against a default server;
#   2. the "expiry" tag, against a server whose access tokens live 2 seconds,
#      so the automatic refresh is tested on tokens that really expired;
#   3. the package: the jar and pom in a Maven repository directory
#      (clients/pack.sh), then the README quickstart as written, in an empty
#      directory against the first server: a Maven consumer project, and a
#      Gradle (Kotlin DSL) one when a Gradle of 7.6.3 or later is installed.
# Installs what it needs first (setup.sh).
#   bash clients/kotlin/test.sh
set -euo pipefail
# gradle_ok: a Gradle that reads Kotlin DSL and runs the Kotlin Gradle plugin
# 2.4 (7.6.3 or later) is on the PATH. Debian's (4.4.1) is not one.
gradle_ok() {
  command -v gradle >/dev/null 2>&1 || return 1
  local v
  v="$(gradle --version 2>/dev/null | sed -n 's/^Gradle \([0-9.]*\).*/\1/p')"
  [ -n "$v" ] && [ "$(printf '%s\n' 7.6.3 "$v" | sort -V | head -n1)" = 7.6.3 ]
}
export -f gradle_ok
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bash "$here/setup.sh"

mvn_args=(-B --no-transfer-progress)
if [ -n "${M2_REPO:-}" ]; then
  mvn_args+=("-Dmaven.repo.local=$M2_REPO")
fi
export BACKBEAT_DIST="${BACKBEAT_DIST:-$(mktemp -d)}"
bash "$root/clients/pack.sh" kotlin
cd "$here"
bash "$root/clients/with-server.sh" bash -c '
  "$@" || exit
  echo "== Kotlin README quickstart (Maven consumer)"
  bash ../quickstart.sh README.md || exit
  if gradle_ok; then
    echo "== Kotlin README quickstart (Gradle Kotlin DSL consumer)"
    bash ../quickstart.sh --name quickstart-gradle README.md
  else
    echo "== Kotlin README quickstart (Gradle): SKIPPED, no gradle of 7.6.3 or later on the PATH (see README)"
  fi' quickstart mvn "${mvn_args[@]}" test
# Already compiled: run surefire alone on the expiry tag.
BACKBEAT_SERVER_FLAGS="--access-ttl 2s" bash "$root/clients/with-server.sh" \
  mvn "${mvn_args[@]}" surefire:test -Dbackbeat.groups=expiry -Dbackbeat.excludedGroups=
