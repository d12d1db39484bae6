#!/usr/bin/env bash
# Installs what Backbeat's build and tests need on a fresh Debian machine
# (run as root), skipping whatever is already there. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/../.."

need_apt=()
command -v git >/dev/null || need_apt+=(git)
command -v curl >/dev/null || need_apt+=(curl ca-certificates)
command -v java >/dev/null || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need_apt+=(maven)
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
command -v unzip >/dev/null || need_apt+=(unzip)
# ffmpeg transcodes uploads (and generates the demo's audio); the tests use
# ffprobe and pgrep too.
command -v ffmpeg >/dev/null || need_apt+=(ffmpeg)
command -v pgrep >/dev/null || need_apt+=(procps)
command -v python3 >/dev/null || need_apt+=(python3)
command -v jq >/dev/null || need_apt+=(jq)
# The container image test (BACKBEAT_IMAGE=1) builds a Debian root file
# system and an OCI image without Docker (server/deploy/image/build.sh).
command -v debootstrap >/dev/null || need_apt+=(debootstrap)
command -v umoci >/dev/null || need_apt+=(umoci)
if ((${#need_apt[@]})); then
  echo "setup: installing ${need_apt[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! command -v go >/dev/null; then
  echo "setup: Go 1.26 or newer is required (go.mod names the exact version) and was not found" >&2
  exit 1
fi

# grpcurl is what users reach for first; the tests drive it, pinned.
GOBIN="$(go env GOPATH)/bin"
export PATH="$GOBIN:$PATH"
if ! grpcurl -version 2>&1 | grep -q 'v1.9.4'; then
  echo "setup: installing grpcurl v1.9.4"
  go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4
fi

# protoc-gen-es (pinned by the lock file) generates the web SDK.
if [ ! -x clients/web/node_modules/.bin/protoc-gen-es ]; then
  echo "setup: installing the web SDK's node packages"
  (cd clients/web && npm ci --no-audit --no-fund --loglevel=error)
fi

