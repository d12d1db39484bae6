#!/usr/bin/env bash
# Runs the Kotlin SDK's JUnit tests against live Backbeat servers started by
# clients/with-server.sh (demo data, fresh data directory, free port):
#   1. every test but the "expiry" tag, against a default server;
#   2. the "expiry" tag, against a server whose access tokens live 2 seconds,
#      so the automatic refresh is tested on tokens that really expired.
# Installs what it needs first (setup.sh).
#   bash clients/kotlin/test.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bash "$here/setup.sh"

mvn_args=(-B --no-transfer-progress)
if [ -n "${M2_REPO:-}" ]; then
  mvn_args+=("-Dmaven.repo.local=$M2_REPO")
fi
cd "$here"
bash "$root/clients/with-server.sh" mvn "${mvn_args[@]}" test
# Already compiled: run surefire alone on the expiry tag.
BACKBEAT_SERVER_FLAGS="--access-ttl 2s" bash "$root/clients/with-server.sh" \
  mvn "${mvn_args[@]}" surefire:test -Dbackbeat.groups=expiry -Dbackbeat.excludedGroups=
