#!/usr/bin/env bash
# Runs a command against a live Backbeat server: builds the server, starts it
# on a free port with a fresh data directory and the demo data (users "demo"
# and "demo-artist", password "backbeat-demo", and the admin "demo-admin"
# with the same password, named in BACKBEAT_ADMIN), waits until it answers, runs
# the command with BACKBEAT_URL set, then stops the server.
#   bash clients/with-server.sh <command> [args...]
# Extra server flags can be passed in BACKBEAT_SERVER_FLAGS.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$root/bin"
(cd "$root" && go build -o bin/backbeat ./server/cmd/backbeat)

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
data="$(mktemp -d)"
log="$data/server.log"
# Every SDK test comes from 127.0.0.1, standing for many users: the per-address
# budgets are off; the failed-login delays and per-account budgets stay on.
# shellcheck disable=SC2086
"$root/bin/backbeat" serve --demo --addr "127.0.0.1:$port" --admin-addr 127.0.0.1:0 --data-dir "$data" --rate-limit-address 0 --rate-limit-sign-in 0 ${BACKBEAT_SERVER_FLAGS:-} >"$log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

export BACKBEAT_URL="http://127.0.0.1:$port"
for _ in $(seq 1 1500); do
  if curl -fsS -o /dev/null "$BACKBEAT_URL/.well-known/openid-configuration" 2>/dev/null && grep -q 'demo data ready' "$log"; then
    break
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "with-server: backbeat exited early:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.2
done
# An admin account for the SDKs' admin tests ("demo-admin", same password):
# registered like any user, then granted the role the way an operator does,
# with backbeat admin grant against the data directory. No request has used
# the account yet, so the server reads the new role on its first call.
curl -fsS -o /dev/null -H 'Content-Type: application/json' \
  -d '{"username":"demo-admin","email":"demo-admin@example.com","password":"backbeat-demo"}' \
  "$BACKBEAT_URL/backbeat.user.v1.UserService/Register"
"$root/bin/backbeat" admin grant demo-admin --data-dir "$data" >/dev/null
export BACKBEAT_ADMIN=demo-admin
echo "with-server: backbeat at $BACKBEAT_URL (log $log)"
status=0
"$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "with-server: command failed ($status); last server log lines:" >&2
  tail -n 40 "$log" >&2
fi
exit "$status"
