#!/usr/bin/env bash
# Runs Backbeat's checks and tests, in one of two tiers:
#
#   bash server/scripts/test.sh          everything (what CI runs): installs and starts the real
#                                        components, runs every package under the race detector
#                                        (the binary-level end-to-end suite without it), the
#                                        end-to-end suite again on Cassandra, and each SDK's tests
#   bash server/scripts/test.sh quick    the fast tier, before each commit: gofmt, go vet,
#                                        staticcheck and go test -race -short over every package,
#                                        with no real component and nothing to install beyond Go
#                                        (under a minute on a warm two-core machine)
#
# Both tiers run the same checks first (gofmt, go vet, staticcheck); the quick
# tier then skips what needs a component switch (see below) and what
# testing.Short() marks as slow.
set -euo pipefail
cd "$(dirname "$0")/../.."

mode="${1:-full}"
case "$mode" in
full | quick) ;;
*)
  echo "usage: bash server/scripts/test.sh [quick]" >&2
  exit 2
  ;;
esac

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
    grep -E -- '^[[:space:]]*--- FAIL|^[[:space:]]+[[:alnum:]_]+_test\.go:[0-9]+: |^panic:|^FAIL[[:space:]]|^WARNING: DATA RACE' "$log" |
      grep -v 'level=' | cut -c1-240 | tail -n 30
  fi
  rm -f "$log"
  return "$rc"
}

# race_ready makes sure go test -race can build: the race detector needs cgo,
# so a C compiler. On a fresh machine with just Go, it installs Debian's gcc
# (and nothing else of setup.sh).
race_ready() {
  export CGO_ENABLED=1
  if command -v "$(go env CC)" >/dev/null 2>&1; then
    return
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test.sh: installing gcc, which the race detector needs"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends gcc libc6-dev >/dev/null
  else
    echo "the race detector needs cgo and so a C compiler: install gcc" >&2
    exit 1
  fi
}

# checks are the static checks of both tiers.
checks() {
  step "gofmt"
  local unformatted
  # go list names the module's package directories (not clients/*/node_modules).
  unformatted="$(go list -f '{{.Dir}}' ./... | xargs gofmt -l | sort -u)"
  if [ -n "$unformatted" ]; then
    echo "these files need gofmt -w:" >&2
    echo "$unformatted" >&2
    return 1
  fi

  step "go vet"
  go vet ./...

  # Pinned in go.mod's tool block; configured by server/staticcheck.conf.
  step "staticcheck"
  go tool staticcheck ./...
}

if [ "$mode" = quick ]; then
  # The switches below turn on tests that start real components; the quick
  # tier runs without them even if the caller's environment sets them.
  unset BACKBEAT_E2E BACKBEAT_E2E_STORE BACKBEAT_KEYCLOAK BACKBEAT_CASSANDRA BACKBEAT_CASSANDRA_MULTIDC BACKBEAT_S3 BACKBEAT_OPENSEARCH BACKBEAT_IMAGE
  race_ready
  checks
  step "go test -race -short (every package; no real components)"
  gotest -race -short -count=1 -timeout 10m ./...
  step "quick tier passed in ${SECONDS}s"
  exit 0
fi

bash server/scripts/setup.sh
# versitygw, the S3 server of the S3 tests, takes minutes to build on a cold
# machine (cached in ~/.cache/backbeat afterwards): start it now, overlapping
# the set-up and checks below. Its tests wait for the same build if needed.
prebuild_log="$(mktemp)"
BACKBEAT_S3=1 go test -count=1 -run TestSharedServer ./server/testenv/s3test/ >"$prebuild_log" 2>&1 &
prebuild=$!
# buf generate runs every SDK's generator, so the SDKs' generation tools are
# set up first (pinned; cached in ~/.m2 and clients/python/.venv).
bash clients/python/setup.sh
bash clients/kotlin/setup.sh
export PATH="$(go env GOPATH)/bin:$PATH"
race_ready

checks

step "buf lint and format"
go tool buf lint
go tool buf format --diff --exit-code

# Against the protos of the last release tag (skipped, saying so, before the
# first); the selftest proves it in a temporary clone with a temporary tag.
step "buf breaking against the last release"
bash server/scripts/breaking.sh --selftest
bash server/scripts/breaking.sh

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
# node for the conformance suite, a two-datacenter Cassandra cluster, an
# S3-compatible server (versitygw, built once with go install into
# ~/.cache/backbeat) for the blob store and a single-node OpenSearch for
# the search engine adapter, its indexer, and the Cassandra end-to-end run
# (whose servers serve Search from it, --search-url); and the container
# image, built from Debian's packages and run (server/deploy, its Debian
# base cached in ~/.cache/backbeat/image).
export BACKBEAT_E2E=1 BACKBEAT_KEYCLOAK=1 BACKBEAT_CASSANDRA=1 BACKBEAT_CASSANDRA_MULTIDC=1 BACKBEAT_S3=1 BACKBEAT_OPENSEARCH=1 BACKBEAT_IMAGE=1
wait "$prebuild" || { echo "versitygw pre-build failed (the S3 tests will say why):"; tail -20 "$prebuild_log"; }
rm -f "$prebuild_log"

# The race detector covers every package but server/e2e: its server is a
# separate binary, which the detector would not instrument, and its long
# journeys would only get slower.
step "go test -race (every package but server/e2e, with the real components)"
mapfile -t race_pkgs < <(go list ./... | grep -v '/server/e2e$')
gotest -race -count=1 -timeout 40m "${race_pkgs[@]}"

step "go test: end-to-end on the embedded store"
gotest -count=1 -timeout 30m ./server/e2e/

step "go test: end-to-end again, on the Cassandra store"
BACKBEAT_E2E_STORE=cassandra gotest -count=1 -timeout 20m ./server/e2e/

# Each SDK against a live server (clients/with-server.sh starts one per run).
step "web SDK (vitest) and demo player (hls.js in headless Chromium)"
bash clients/web/test.sh
step "Python SDK (pytest)"
bash clients/python/test.sh
step "Kotlin SDK (JUnit via Maven)"
bash clients/kotlin/test.sh
step "full run passed in ${SECONDS}s"
