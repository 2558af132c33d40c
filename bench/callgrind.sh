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
LEDGER=${LEDGER:-on}  # kit-server's replay ledger: on (the kit's default) or off
LOG=${LOG:-warn}  # the servers' RUST_LOG; LOG=info profiles the quickstart's default logging (to $OUT/log-<server>.txt)
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
[[ $BUILD == no ]] || cargo build --release --quiet -p frameio-kit-bench --bins
"$BIN/bench-gen" requests 20000 "$OUT/warm.tsv"
"$BIN/bench-gen" requests 50000 "$OUT/requests.tsv" 20000

pid=""
cleanup() { [[ -z $pid ]] || { kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; } || true; }
trap cleanup EXIT

for server in "${@:-kit-server bare-server}"; do
  for s in $server; do
    port=$("$BIN/bench-gen" free-port)
    rm -f "$OUT/callgrind-$s".*
    LEDGER=$LEDGER RUST_LOG=$LOG FRAMEIO_KIT_BENCH_LOG=$LOG valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind-$s.%p" \
      "$BIN/$s" --port "$port" --workers 1 2>"$OUT/valgrind-$s.log" >"$OUT/log-$s.txt" &
    pid=$!
    for _ in $(seq 150); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
    BENCH_REQUESTS=$OUT/warm.tsv wrk -t1 -c4 -d2s -s bench/requests.lua \
      "http://127.0.0.1:$port/" -- 1 >/dev/null
    callgrind_control --zero "$pid" >/dev/null 2>&1
    BENCH_REQUESTS=$OUT/requests.tsv wrk -t1 -c4 -d"${SECONDS_LOADED}s" -s bench/requests.lua \
      "http://127.0.0.1:$port/" -- 1 >"$OUT/wrk-$s.txt"
    callgrind_control --dump "$pid" >/dev/null 2>&1
    sleep 1
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    requests=$(sed -n 's/^BENCH requests=\([0-9]*\) .*/\1/p' "$OUT/wrk-$s.txt")
    dump=$(ls -t "$OUT/callgrind-$s".*.1 | head -1)
    ir=$(sed -n 's/^summary: //p' "$dump")
    echo "$s ledger=$LEDGER requests=$requests Ir=$ir Ir_per_request=$((ir / requests)) profile=$dump"
  done
done
