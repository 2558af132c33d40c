#!/usr/bin/env bash
# Instructions per request, measured with callgrind: a load-independent way to compare the two
# servers (or a change in the hot path) on a busy machine.
#
#   bench/callgrind.sh [kit-server|bare-server ...]     # default: both; needs valgrind and wrk
#
# Runs the server under callgrind with 1 worker on a free 127.0.0.1 port, warms it up with
# wrk (-t1 -c4, 2 s), zeroes the counters, loads it for SECONDS_LOADED s, dumps, and prints
# the user-space instructions (Ir) per request. Stops the server by PID.
# The warm-up and the measured load send disjoint sets of deliveries (20,000 and 50,000, more
# than either sends under valgrind), so with the replay ledger on no request is a replay.
# LEDGER=off runs kit-server without its replay ledger (the ledger's cost is the difference).
# Note: under valgrind SHA-256 runs its portable code (no SHA-NI), so signature checking
# weighs more than on the real CPU; it weighs the same in both servers.
SECONDS_LOADED=${SECONDS_LOADED:-6}
LEDGER=${LEDGER:-on}  # kit-server's replay ledger: on (the kit's default), off, or redis (in a
                      # private redis-server on a free port, kit-server built with the bench's
                      # `redis` feature; also prints Redis's own microseconds per request and
                      # per command from INFO commandstats)
LOG=${LOG:-warn}  # the servers' RUST_LOG; LOG=info profiles the quickstart's default logging (to $OUT/log-<server>.txt)
VALGRIND_EXTRA=${VALGRIND_EXTRA:-}  # more valgrind options, e.g. "--cache-sim=yes --branch-sim=yes" (misses per request)
BUILD=${BUILD:-yes}  # BUILD=no profiles the binaries already in $BIN (e.g. a saved "before" build)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install -y valgrind" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=${BIN:-$TARGET/release}
OUT=${OUT:-$TARGET/bench-callgrind}
mkdir -p "$OUT"
features=()
[[ $LEDGER == redis ]] && features=(--features redis)
[[ $BUILD == no ]] || cargo build --release --quiet -p frameio-kit-bench --bins "${features[@]}"
"$BIN/bench-gen" requests 20000 "$OUT/warm.tsv"
"$BIN/bench-gen" requests 50000 "$OUT/requests.tsv" 20000

pid=""
redis_pid="" redis_port="" server_ledger=$LEDGER
cleanup() {
  [[ -z $pid ]] || { kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; } || true
  [[ -z $redis_pid ]] || { kill -TERM "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; } || true
}
trap cleanup EXIT
if [[ $LEDGER == redis ]]; then
  command -v redis-server >/dev/null || { echo "redis-server is missing: apt-get install -y redis-server" >&2; exit 1; }
  redis_port=$("$BIN/bench-gen" free-port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$OUT/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  export LEDGER_REDIS_URL="redis://127.0.0.1:$redis_port/"
  server_ledger=on
fi

for server in "${@:-kit-server bare-server}"; do
  for s in $server; do
    port=$("$BIN/bench-gen" free-port)
    rm -f "$OUT/callgrind-$s".*
    [[ -z $redis_port ]] || redis-cli -p "$redis_port" flushall >/dev/null
    LEDGER=$server_ledger RUST_LOG=$LOG FRAMEIO_KIT_BENCH_LOG=$LOG valgrind --tool=callgrind ${VALGRIND_EXTRA:-} --callgrind-out-file="$OUT/callgrind-$s.%p" \
      "$BIN/$s" --port "$port" --workers 1 2>"$OUT/valgrind-$s.log" >"$OUT/log-$s.txt" &
    pid=$!
    for _ in $(seq 150); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
    BENCH_REQUESTS=$OUT/warm.tsv wrk -t1 -c4 -d2s -s bench/requests.lua \
      "http://127.0.0.1:$port/" -- 1 >/dev/null
    callgrind_control --zero "$pid" >/dev/null 2>&1
    redis_cpu_before=0
    if [[ -n $redis_port ]]; then
      redis-cli -p "$redis_port" config resetstat >/dev/null
      redis_cpu_before=$(redis-cli -p "$redis_port" info cpu | tr -d '\r' |
        awk -F: '/^used_cpu_(user|sys):/ { s += $2 } END { printf "%.6f", s }')
    fi
    BENCH_REQUESTS=$OUT/requests.tsv wrk -t1 -c4 -d"${SECONDS_LOADED}s" -s bench/requests.lua \
      "http://127.0.0.1:$port/" -- 1 >"$OUT/wrk-$s.txt"
    callgrind_control --dump "$pid" >/dev/null 2>&1
    sleep 1
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    requests=$(sed -n 's/^BENCH requests=\([0-9]*\) .*/\1/p' "$OUT/wrk-$s.txt")
    dump=$(ls -t "$OUT/callgrind-$s".*.1 | head -1)
    ir=$(sed -n 's/^summary: //p' "$dump" | cut -d" " -f1)
    redis_field=""
    if [[ -n $redis_port && $s == kit-server ]]; then
      # Redis's side: its CPU time and each command's server time, per measured request.
      redis_field=$(redis-cli -p "$redis_port" info all | tr -d '\r' | awk -F'[:,=]' -v n="$requests" -v before="$redis_cpu_before" '
        /^used_cpu_(user|sys):/ { cpu += $2 }
        /^cmdstat_(info|config|ping|flushall)/ { next }
        /^cmdstat_/ { sub(/^cmdstat_/, "", $1); cmds = cmds sprintf(" redis_%s_calls_per_req=%.2f redis_%s_usec_per_call=%s", $1, $3 / n, $1, $7) }
        END { printf " redis_cpu_us_per_req=%.1f%s", (cpu - before) * 1e6 / n, cmds }')
    fi
    echo "$s ledger=$LEDGER requests=$requests Ir=$ir Ir_per_request=$((ir / requests))$redis_field profile=$dump"
  done
done
