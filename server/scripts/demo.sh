#!/usr/bin/env bash
# Builds Backbeat and runs it on the embedded store with demo data.
# Extra arguments go to 'backbeat serve' (e.g. --addr 127.0.0.1:9090).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash server/scripts/setup.sh
mkdir -p bin
go build -o bin/backbeat ./server/cmd/backbeat
exec ./bin/backbeat serve --demo "$@"
