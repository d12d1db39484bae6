#!/usr/bin/env bash
# Load benchmark of the read path: seeds an embedded store with 100k tracks
# and 10k playlists, serves it, and drives GetTrack, Search and GetPlaylist
# with closed-loop load, next to the bare connect-go baseline measured in
# the same run (shared/baselines.md names it). Prints one line per run.
#   usage: [STORE=cassandra] [TRACKS=100000 PLAYLISTS=10000] [MODE=read|limits|backup|obs|search|cache] bash server/scripts/bench.sh [concurrency=16] [duration=10s]
# MODE=limits measures the rate limiter instead, MODE=obs the cost of
# metrics and tracing, MODE=cache the metadata cache (see their sections
# below); MODE=backup times backbeat backup and restore of the seeded store.
# MODE=search measures Search on both stores in one run (STORE is ignored):
# the embedded store against Cassandra with OpenSearch (--search-url), the
# index lag under a write load and the time to rebuild the index.
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

rss_mb() { awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

if [ "${MODE:-read}" = search ]; then
  # Search on the embedded store vs Cassandra + OpenSearch, same catalog
  # size, same load, same run; then what the Cassandra side costs to keep
  # indexed. Servers run without the rate limiter: the load is one user.
  n="${TRACKS:-100000}"
  go build -o "$work/cassandranode" ./server/testenv/cmd/cassandranode
  go build -o "$work/opensearchnode" ./server/testenv/cmd/opensearchnode
  "$work/cassandranode" -dir "$work/cassandra" >"$work/cassandra.out" 2>&1 &
  "$work/opensearchnode" >"$work/opensearch.out" 2>&1 &
  field() { sed -n "s/.* $1= *\([0-9.]*\).*/\1/p" <<<"$2"; }
  search() { "$work/loadgen" run -url "http://$1" -ids "$2" -rpc search -c "$conc" -d "$dur"; }

  "$work/loadgen" seed -data-dir "$work/emb" -tracks "$n" -playlists "${PLAYLISTS:-10000}"
  # The embedded server twice: with the Go runtime's default GOGC=100 (as
  # before serve set its own), then as serve runs by default; RSS at start
  # and right after the Search load.
  for gc in GOGC=100 ""; do
    env $gc "$work/backbeat" serve --addr 127.0.0.1:0 --admin-addr 127.0.0.1:0 --data-dir "$work/emb" --log-level warn --rate-limit=false >"$work/emb.out" 2>&1 &
    pid=$!; addr=$(wait_addr "$work/emb.out")
    rss0=$(rss_mb $pid)
    label=${gc:-serve-default}
    emb=$(search "$addr" "$work/emb/bench-ids.json"); echo "embedded $label: $emb"
    echo "embedded $label RSS: ${rss0} MB at start, $(rss_mb $pid) MB after the load ($n tracks)"
    kill $pid; wait $pid 2>/dev/null || true
  done

  hosts=$(wait_addr "$work/cassandra.out"); osurl=$(wait_addr "$work/opensearch.out")
  cass=(--store cassandra --cassandra-hosts "$hosts" --cassandra-keyspace bench)
  "$work/backbeat" migrate "${cass[@]:2}"
  t0=$(date +%s)
  "$work/loadgen" seed -data-dir "$work/cas" -store cassandra -cassandra-hosts "$hosts" -cassandra-keyspace bench \
    -tracks "$n" -playlists "${PLAYLISTS:-10000}"
  echo "cassandra seeded in $(( $(date +%s) - t0 )) s"
  # The server's indexer finds no saved position and builds the index from
  # Cassandra first; 'search status' answers once it has.
  t0=$(date +%s)
  "$work/backbeat" serve --addr 127.0.0.1:0 --admin-addr 127.0.0.1:0 --data-dir "$work/cas" --log-level info --rate-limit=false "${cass[@]}" --search-url "$osurl" >"$work/cas.out" 2>&1 &
  pid=$!; addr=$(wait_addr "$work/cas.out")
  until "$work/backbeat" search status "${cass[@]}" --search-url "$osurl" >/dev/null 2>&1; do sleep 2; done
  echo "initial index build by the server: $(( $(date +%s) - t0 )) s ($(sed -n 's/.*index built.*documents=\([0-9]*\).*/\1/p' "$work/cas.out" | head -1) documents)"
  cas=$(search "$addr" "$work/cas/bench-ids.json"); echo "cassandra+opensearch: $cas"
  # Index lag under a write load: 4 callers creating public playlists
  # (each a feed record) for a bit over a minute, the interval at which the
  # indexer logs its record lag percentiles.
  "$work/loadgen" run -url "http://$addr" -ids "$work/cas/bench-ids.json" -rpc create-playlist -c 4 -d 65s -warmup 0s
  # The first lag line logged after the load covers its records.
  lines=$(grep -c 'search indexer lag' "$work/cas.out" || true)
  for _ in $(seq 70); do [ "$(grep -c 'search indexer lag' "$work/cas.out" || true)" -gt "$lines" ] && break; sleep 1; done
  grep 'search indexer lag' "$work/cas.out" | tail -1
  "$work/backbeat" search reindex "${cass[@]}" --search-url "$osurl" --index bench-rebuilt | tail -1
  kill $pid; wait $pid 2>/dev/null || true
  awk -v er="$(field rps "$emb")" -v ep="$(field p99 "$emb")" -v cr="$(field rps "$cas")" -v cp="$(field p99 "$cas")" 'BEGIN {
    printf "Search, %d callers: cassandra+opensearch / embedded rps %.0f / %.0f = %.2f (goal >= 0.5); p99 %s ms (goal <= 50), embedded %s ms\n", '"$conc"', cr, er, cr / er, cp, ep
  }'
  exit 0
fi

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

if [ "${MODE:-read}" = cache ]; then
  # The hot read path with the metadata cache on (default size and TTL) and
  # off (--cache-size 0), interleaved with the bare connect-go floor over
  # PASSES passes (3 by default), on the embedded store and, with
  # STORE=cassandra, on Cassandra too (the embedded store is then seeded as
  # well, for the Cassandra / embedded ratio). Ids are picked with a Zipf
  # distribution (ZIPF, 1.1 by default; 0 for uniform), as real reads favour
  # popular tracks and playlists. Per pass: the floor, then GetTrack and
  # GetPlaylist against each server, the server's RSS after the load and its
  # cache hit ratio (from its shutdown log line).
  zipf="${ZIPF:-1.1}" passes="${PASSES:-3}"
  if [ "${STORE:-embedded}" = cassandra ]; then
    mv "$work/data" "$work/cdata"
    "$work/loadgen" seed -data-dir "$work/data" -tracks "${TRACKS:-100000}" -playlists "${PLAYLISTS:-10000}"
  fi
  "$work/loadgen" baseline >"$work/baseline.out" 2>&1 &
  base=$(wait_addr "$work/baseline.out")
  # The same floor leaving answers under 1 KiB uncompressed, as Backbeat
  # does: connect-go's default gzips every answer, which costs a small one
  # more than the rest of the floor's work.
  "$work/loadgen" baseline -compress-min-bytes 1024 >"$work/baseline2.out" 2>&1 &
  base2=$(wait_addr "$work/baseline2.out")
  field() { sed -n "s/.* $1= *\([0-9.]*\).*/\1/p" <<<"$2"; }
  configs=("embedded on" "embedded off")
  [ "${STORE:-embedded}" = cassandra ] && configs+=("cassandra on" "cassandra off")
  declare -A sum
  add() { sum[$1]=$(awk -v a="${sum[$1]:-0}" -v b="$2" 'BEGIN{print a+b}'); }
  echo "== load: $conc callers, $dur per run, ids Zipf $zipf; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  for pass in $(seq 1 "$passes"); do
    l=$("$work/loadgen" run -url "http://$base" -rpc baseline -c "$conc" -d "$dur"); echo "pass $pass floor:               $l"
    add floor "$(field rps "$l")"
    l=$("$work/loadgen" run -url "http://$base2" -rpc baseline -c "$conc" -d "$dur"); echo "pass $pass floor, small uncompressed: $l"
    add floor2 "$(field rps "$l")"
    for cfg in "${configs[@]}"; do
      read -r st cache <<<"$cfg"
      # The load comes from one address: its budget is raised out of the
      # way, so the limiter's bookkeeping is measured, not its refusals.
      dir="$work/data" flags=(--rate-limit-address 1000000 --rate-limit-address-burst 1000000)
      [ "$st" = cassandra ] && dir="$work/cdata" flags+=("${store_flags[@]}")
      [ "$cache" = off ] && flags+=(--cache-size 0)
      "$work/backbeat" serve --addr 127.0.0.1:0 --admin-addr 127.0.0.1:0 --data-dir "$dir" --log-level info "${flags[@]}" >"$work/server.out" 2>&1 &
      pid=$!
      addr=$(wait_addr "$work/server.out")
      for rpc in get-track get-playlist; do
        l=$("$work/loadgen" run -url "http://$addr" -ids "$dir/bench-ids.json" -rpc "$rpc" -zipf "$zipf" -c "$conc" -d "$dur")
        printf 'pass %s %-9s cache %-3s %s\n' "$pass" "$st" "$cache" "$l"
        add "$st $cache $rpc" "$(field rps "$l")"
      done
      rss=$(awk '/VmRSS/{print $2}' "/proc/$pid/status")
      kill "$pid"; wait "$pid" 2>/dev/null || true
      hit=$(sed -n 's/.*cache stats at shutdown.* hit_ratio=\([0-9.]*\).*/\1/p' "$work/server.out")
      echo "pass $pass $st cache $cache: RSS after the load $((rss / 1024)) MB, hit ratio ${hit:-n/a}"
    done
  done
  echo "== means over $passes passes; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  for k in "${!sum[@]}"; do echo "$k=${sum[$k]}"; done | sort | awk -F= -v n="$passes" '
    { v[$1] = $2 / n }
    END {
      f = v["floor"]; f2 = v["floor2"]
      printf "floor (bare connect-go, defaults): %.0f rps; floor with answers under 1 KiB uncompressed: %.0f rps\n", f, f2
      for (k in v) if (k != "floor" && k != "floor2") printf "%-30s %7.0f rps = %5.1f%% of the floor, %5.1f%% of the uncompressed floor\n", k, v[k], 100 * v[k] / f, 100 * v[k] / f2
      print "goals: GetTrack >= 85%, GetPlaylist >= 70% of the floor with the cache on"
      if (("cassandra on get-track") in v) {
        printf "cassandra / embedded, cache on: GetTrack %.2fx, GetPlaylist %.2fx (goal >= 0.8x)\n",
          v["cassandra on get-track"] / v["embedded on get-track"], v["cassandra on get-playlist"] / v["embedded on get-playlist"]
      }
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
