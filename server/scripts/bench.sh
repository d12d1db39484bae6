#!/usr/bin/env bash
# Load benchmark of the read path: seeds an embedded store with 100k tracks
# and 10k playlists, serves it, and drives GetTrack, Search and GetPlaylist
# with closed-loop load, next to the bare connect-go baseline measured in
# the same run (shared/baselines.md names it). Prints one line per run.
#   usage: [STORE=cassandra] [TRACKS=100000 PLAYLISTS=10000] bash server/scripts/bench.sh [concurrency=16] [duration=10s]
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

"$work/loadgen" baseline >"$work/baseline.out" 2>&1 &
base=$(wait_addr "$work/baseline.out")
"$work/backbeat" serve --addr 127.0.0.1:0 --data-dir "$work/data" --log-level warn "${store_flags[@]}" >"$work/server.out" 2>&1 &
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
