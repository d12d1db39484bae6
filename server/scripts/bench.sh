#!/usr/bin/env bash
# Load benchmark of the read path: seeds an embedded store with 100k tracks
# and 10k playlists, serves it, and drives GetTrack, Search and GetPlaylist
# with closed-loop load, next to the bare connect-go baseline measured in
# the same run (shared/baselines.md names it). Prints one line per run.
#   usage: [STORE=cassandra] [TRACKS=100000 PLAYLISTS=10000] [MODE=read|limits|backup|obs] bash server/scripts/bench.sh [concurrency=16] [duration=10s]
# MODE=limits measures the rate limiter instead, MODE=obs the cost of
# metrics and tracing (see below); MODE=backup times backbeat backup and
# restore of the seeded store.
# With STORE=cassandra it starts a real single Cassandra node (the test
# environment's, through server/testenv/cmd/cassandranode) and measures the
# same load against the Cassandra store.
set -euo pipefail
cd "$(dirname "$0")/../.."
conc="${1:-16}" dur="${2:-10s}"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/backbeat" ./server/cmd/backbeat
go build -o "$work/loadgen" ./server/cmd/loadgen

wait_addr() { # file -> address once the process printed it
  for _ in $(seq 1 1800); do
    if addr=$(sed -n 's/.*listening on \(.*\)$/\1/p' "$1" | head -1) && [ -n "$addr" ]; then echo "$addr"; return; fi
    sleep 0.1
  done
  echo "no address in $1:" >&2; cat "$1" >&2; exit 1
}

store_flags=()
if [ "${STORE:-embedded}" = cassandra ]; then
  go build -o "$work/cassandranode" ./server/testenv/cmd/cassandranode
  "$work/cassandranode" -dir "$work/cassandra" >"$work/cassandra.out" 2>&1 &
  hosts=$(wait_addr "$work/cassandra.out")
  store_flags=(--store cassandra --cassandra-hosts "$hosts" --cassandra-keyspace bench)
  "$work/backbeat" migrate "${store_flags[@]:2}"
  "$work/loadgen" seed -data-dir "$work/data" -store cassandra -cassandra-hosts "$hosts" -cassandra-keyspace bench \
    -tracks "${TRACKS:-100000}" -playlists "${PLAYLISTS:-10000}"
else
  "$work/loadgen" seed -data-dir "$work/data" -tracks "${TRACKS:-100000}" -playlists "${PLAYLISTS:-10000}"
fi

if [ "${MODE:-read}" = backup ]; then
  # backbeat backup and restore of the seeded store (the embedded store
  # only: Cassandra's is nodetool snapshot, see server/docs/operations.md),
  # each timed once: the recovery point and time objectives of
  # server/docs/operations.md come from these figures.
  t0=$(date +%s.%N)
  "$work/backbeat" backup --data-dir "$work/data" "$work/backup" >/dev/null
  t1=$(date +%s.%N)
  "$work/backbeat" restore --data-dir "$work/restored" "$work/backup" >/dev/null 2>&1
  t2=$(date +%s.%N)
  echo "backup: tracks=${TRACKS:-100000} db_bytes=$(stat -c %s "$work/data/backbeat.db") backup_bytes=$(du -sb "$work/backup" | cut -f1)" \
    "backup_s=$(awk "BEGIN { print $t1 - $t0 }") restore_s=$(awk "BEGIN { print $t2 - $t1 }")"
  exit 0
fi

# serve starts backbeat on the seeded data with extra flags; stop ends it;
# gettrack drives GetTrack at it and prints loadgen's line; field reads one
# figure (rps, p99, ...) from such a line.
serve() {
  "$work/backbeat" serve --addr 127.0.0.1:0 --admin-addr 127.0.0.1:0 --data-dir "$work/data" --log-level warn "${store_flags[@]}" "$@" >"$work/server.out" 2>&1 &
  server_pid=$!
  addr=$(wait_addr "$work/server.out")
}
stop() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; }
ids="$work/data/bench-ids.json"
field() { sed -n "s/.* $1= *\([0-9.]*\).*/\1/p" <<<"$2"; }
gettrack() { "$work/loadgen" run -url "http://$addr" -ids "$ids" -rpc get-track -c "$conc" -d "$dur"; }

if [ "${MODE:-read}" = obs ]; then
  # The cost of metrics and tracing: GetTrack throughput with metrics on and
  # tracing on with its sampler off (ratio 0: every request still gets a
  # span context and its trace id in the logs, none is exported), against
  # both off, servers alternating off, on three times on the same data.
  # The OTLP endpoint is never contacted: nothing is sampled.
  on=0 off=0
  for round in 1 2 3; do
    serve --rate-limit=false --metrics=false; l=$(gettrack); echo "metrics+tracing off: $l"; off=$(awk -v a="$off" -v b="$(field rps "$l")" 'BEGIN{print a+b}'); stop
    serve --rate-limit=false --otlp-endpoint http://127.0.0.1:4318 --trace-sample-ratio 0; l=$(gettrack); echo "metrics+tracing on:  $l"; on=$(awk -v a="$on" -v b="$(field rps "$l")" 'BEGIN{print a+b}'); stop
  done
  awk -v on="$on" -v off="$off" 'BEGIN {
    printf "GetTrack rps, metrics+tracing (sampler off) on / off (3 runs each): %.0f / %.0f = %.1f%% (goal >= 95%%)\n", on / 3, off / 3, 100 * on / off
  }'
  exit 0
fi

if [ "${MODE:-read}" = limits ]; then
  # The limiter's cost and its protection, each against a baseline of the
  # same run:
  #  - GetTrack throughput with the limiter on vs off, servers alternating
  #    off, on, off, on, off, on on the same data. The load comes from one
  #    address, so the per-address budget is raised out of its way: what is
  #    measured is the bookkeeping every request pays, not a refusal.
  #  - another user's Search p99 while 64 connections from 127.0.0.1 flood
  #    Login with wrong passwords, vs the same Search unloaded, with the
  #    default limits. The user is 4 callers at 127.0.0.2, each paced at 10
  #    searches a second (a user, not a load: the default budget is 50
  #    requests/s per address). The same flood with the limiter off, for
  #    reference. The flood's client shares this machine's cores.
  raised=(--rate-limit-address 1000000 --rate-limit-address-burst 1000000)
  search() { "$work/loadgen" run -url "http://$addr" -ids "$ids" -rpc search -c 4 -rate 10 -d "$dur" -from 127.0.0.2 "$@"; }
  on=0 off=0
  for round in 1 2 3; do
    serve --rate-limit=false; l=$(gettrack); echo "limiter off: $l"; off=$(awk -v a="$off" -v b="$(field rps "$l")" 'BEGIN{print a+b}'); stop
    serve "${raised[@]}"; l=$(gettrack); echo "limiter on:  $l"; on=$(awk -v a="$on" -v b="$(field rps "$l")" 'BEGIN{print a+b}'); stop
  done
  serve
  l=$(search); echo "limiter on, unloaded:    $l"; quiet=$(field p99 "$l")
  l=$(search -flood 64); echo "limiter on, login flood: $l"; flood=$(field p99 "$l")
  stop
  serve --rate-limit=false
  l=$(search -flood 64); echo "limiter off, login flood: $l"; floodoff=$(field p99 "$l")
  stop
  awk -v on="$on" -v off="$off" -v q="$quiet" -v f="$flood" -v fo="$floodoff" 'BEGIN {
    printf "GetTrack rps, limiter on / off (3 runs each): %.0f / %.0f = %.1f%% (goal >= 95%%)\n", on / 3, off / 3, 100 * on / off
    printf "Search p99 during a 64-connection Login flood / unloaded, limiter on: %s ms / %s ms = %.2fx (goal <= 2x)\n", f, q, f / q
    printf "the same flood with the limiter off: p99 %s ms = %.2fx unloaded\n", fo, fo / q
  }'
  exit 0
fi

"$work/loadgen" baseline >"$work/baseline.out" 2>&1 &
base=$(wait_addr "$work/baseline.out")
"$work/backbeat" serve --addr 127.0.0.1:0 --admin-addr 127.0.0.1:0 --data-dir "$work/data" --log-level warn "${store_flags[@]}" >"$work/server.out" 2>&1 &
addr=$(wait_addr "$work/server.out")

echo "== baseline: bare connect-go GetTrack from an in-memory map, no auth, no store"
for p in connect grpc connect-get; do
  "$work/loadgen" run -url "http://$base" -rpc baseline -protocol "$p" -c "$conc" -d "$dur"
done
echo "== backbeat: auth + validation + ${STORE:-embedded} store (${TRACKS:-100000} tracks, ${PLAYLISTS:-10000} playlists)"
for rpc in get-track search get-playlist; do
  for p in connect grpc connect-get; do
    "$work/loadgen" run -url "http://$addr" -ids "$work/data/bench-ids.json" -rpc "$rpc" -protocol "$p" -c "$conc" -d "$dur"
  done
done
