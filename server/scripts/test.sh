#!/usr/bin/env bash
# Runs every Backbeat check and test, installing and starting what they need.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash server/scripts/setup.sh
# versitygw, the S3 server of the S3 tests, takes minutes to build on a cold
# machine (cached in ~/.cache/backbeat afterwards): start it now, overlapping
# the set-up and checks below. Its tests wait for the same build if needed.
prebuild_log="$(mktemp)"
BACKBEAT_S3=1 go test -count=1 -run TestSharedServer ./server/testenv/s3/ >"$prebuild_log" 2>&1 &
prebuild=$!
# buf generate runs every SDK's generator, so the SDKs' generation tools are
# set up first (pinned; cached in ~/.m2 and clients/python/.venv).
bash clients/python/setup.sh
bash clients/kotlin/setup.sh
export PATH="$(go env GOPATH)/bin:$PATH"

step() { printf '\n=== %s\n' "$*"; }

# gotest runs go test and, when it fails, repeats the failing tests' names
# and messages at the end: a failing end-to-end test dumps its server's whole
# log, and CI keeps only the tail of the output.
gotest() {
  local log rc=0
  log="$(mktemp)"
  go test "$@" 2>&1 | tee "$log" || rc=$?
  if [ "$rc" -ne 0 ]; then
    printf '\n=== failures of: go test %s\n' "$*"
    grep -E -- '^[[:space:]]*--- FAIL|^[[:space:]]+[[:alnum:]_]+_test\.go:[0-9]+: |^panic:|^FAIL[[:space:]]' "$log" |
      grep -v 'level=' | cut -c1-240 | tail -n 30
  fi
  rm -f "$log"
  return "$rc"
}

step "go vet"
go vet ./...

step "buf lint and format"
go tool buf lint
go tool buf format --diff --exit-code

step "generated code matches a fresh buf generate"
go tool buf generate
gen_dirs=(gen clients/web/src/gen clients/python/src/backbeat clients/kotlin/src/main/gen)
if ! git diff --exit-code --stat -- "${gen_dirs[@]}" || [ -n "$(git status --porcelain -- "${gen_dirs[@]}")" ]; then
  echo "generated code is stale: run 'go tool buf generate' and commit the result" >&2
  git status --porcelain -- "${gen_dirs[@]}" >&2
  exit 1
fi

# The switches turn on the tests that start real components: the server
# binary end to end, Keycloak as an external OIDC provider, a Cassandra
# node for the conformance suite, a two-datacenter Cassandra cluster and
# an S3-compatible server (versitygw, built once with go install into
# ~/.cache/backbeat) for the blob store.
export BACKBEAT_E2E=1 BACKBEAT_KEYCLOAK=1 BACKBEAT_CASSANDRA=1 BACKBEAT_CASSANDRA_MULTIDC=1 BACKBEAT_S3=1
wait "$prebuild" || { echo "versitygw pre-build failed (the S3 tests will say why):"; tail -20 "$prebuild_log"; }
step "go test (every package; end-to-end on the embedded store)"
gotest -count=1 -timeout 40m ./...

step "go test: end-to-end again, on the Cassandra store"
BACKBEAT_E2E_STORE=cassandra gotest -count=1 -timeout 20m ./server/e2e/

# Each SDK against a live server (clients/with-server.sh starts one per run).
step "web SDK (vitest) and demo player (hls.js in headless Chromium)"
bash clients/web/test.sh
step "Python SDK (pytest)"
bash clients/python/test.sh
step "Kotlin SDK (JUnit via Maven)"
bash clients/kotlin/test.sh
