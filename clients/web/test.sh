#!/usr/bin/env bash
# The web SDK's tests, from any directory:  bash clients/web/test.sh
#   1. dependencies: npm ci when package*.json changed since the last one,
#      and Debian's chromium for the browser test when /usr/bin/chromium is
#      missing (never a browser download by playwright);
#   2. typecheck: tsc --noEmit over the SDK, tests, demo and configs;
#   3. vitest against a live server (clients/with-server.sh builds and starts
#      one with the demo data): the SDK tests over Connect (JSON and binary)
#      and gRPC-Web, and the demo player in headless Chromium;
#   4. vitest again, on a server whose access tokens live 2 s, for the tests
#      of refresh across real expiry (test/expiry.test.ts);
#   5. the package: npm pack (tsc builds dist/), then the README quickstart
#      run as written in an empty directory against the phase-1 server
#      (clients/quickstart.sh: npm init, install of the packed tarball, a
#      strict Node-only tsconfig with exactOptionalPropertyTypes, tsc, node).
# Artifacts (the player screenshot, vitest JSON reports) go to artifacts/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
mkdir -p artifacts

# --- 1. dependencies ---------------------------------------------------------
stamp=node_modules/.backbeat-deps.sha256
want="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || [ ! -x node_modules/.bin/vitest ]; then
  echo "test.sh: npm ci"
  npm ci --no-audit --no-fund
  echo "$want" >"$stamp"
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "test.sh: installing Debian's chromium"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

# --- 2. typecheck ------------------------------------------------------------
echo "test.sh: tsc --noEmit"
node_modules/.bin/tsc --noEmit

# --- 5, first half. the package ---------------------------------------------------
bash ../quickstart.sh --selftest
export BACKBEAT_DIST="${BACKBEAT_DIST:-$(mktemp -d)}"
bash ../pack.sh web

# --- 3 and 4. vitest against live servers -------------------------------------
# BACKBEAT_WITH_SERVER swaps in another copy of with-server.sh (one in a
# checkout of another commit, say); the default builds this tree's server.
with_server="${BACKBEAT_WITH_SERVER:-../with-server.sh}"
rm -f artifacts/vitest-main.json artifacts/vitest-expiry.json artifacts/quickstart.status
status=0
echo "test.sh: vitest, phase 1 (default server), then the README quickstart on the same server"
bash "$with_server" bash -c '
  status=0
  npx vitest run --reporter=default --reporter=json --outputFile.json=artifacts/vitest-main.json || status=$?
  if bash ../quickstart.sh README.md; then echo passed >artifacts/quickstart.status; else echo failed >artifacts/quickstart.status; status=1; fi
  exit "$status"' || status=$?

echo "test.sh: vitest, phase 2 (server with --access-ttl 2s)"
BACKBEAT_SERVER_FLAGS="--access-ttl 2s" BACKBEAT_ACCESS_TTL_MS=2000 \
  bash "$with_server" npx vitest run test/expiry.test.ts \
  --reporter=default --reporter=json --outputFile.json=artifacts/vitest-expiry.json || status=$?

# One closing line over both phases.
node -e '
const fs = require("fs");
let passed = 0, failed = 0, skipped = 0;
for (const f of process.argv.slice(1)) {
  // A phase without a report (its server did not start) counts as one failure.
  if (!fs.existsSync(f)) { failed++; continue; }
  // The README quickstart counts as one test.
  if (f.endsWith(".status")) { if (fs.readFileSync(f, "utf8").trim() === "passed") passed++; else failed++; continue; }
  const r = JSON.parse(fs.readFileSync(f, "utf8"));
  // A failing beforeAll skips its tests: count its file as a failure.
  const brokenFiles = r.testResults.filter((t) => t.status === "failed" && t.assertionResults.every((a) => a.status !== "failed")).length;
  passed += r.numPassedTests; failed += r.numFailedTests + brokenFiles; skipped += r.numPendingTests + r.numTodoTests;
}
console.log(`web: ${passed} passed, ${failed} failed, ${skipped} skipped`);
' artifacts/vitest-main.json artifacts/vitest-expiry.json artifacts/quickstart.status
exit "$status"
