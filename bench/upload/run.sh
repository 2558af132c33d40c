#!/usr/bin/env bash
# Upload benchmark: one file through frameio-kit's Files::upload, plain reqwest PUTs (floor)
# and the Python SDK's FrameioUploader (frameio 4.0.0, in a venv), all against the same
# loopback storage stand-in. Prints one line per run: mode, seconds, MiB/s, peak RSS (KiB).
#
# Settings (environment): SIZE (bytes, default 1 GiB), PART_SIZE (default 32 MiB),
# CONCURRENCY (parts in flight, default 5 = the SDK's default), ROUNDS (default 3; the order
# rotates), MODES ("kit floor-pread-stream floor-pread-whole floor-tokio-whole sdk"), VENV (default $TMPDIR/frameio-sdk-venv; created with
# `pip install frameio==4.0.0` when missing), TMPDIR (where the test file is written; it is
# deleted on exit).
set -euo pipefail
cd "$(dirname "$0")/../.."

SIZE="${SIZE:-$((1 << 30))}"
PART_SIZE="${PART_SIZE:-$((32 << 20))}"
CONCURRENCY="${CONCURRENCY:-5}"
ROUNDS="${ROUNDS:-3}"
MODES="${MODES:-kit floor-pread-stream floor-pread-whole floor-tokio-whole sdk}"
TMP="${TMPDIR:-/tmp}"
VENV="${VENV:-$TMP/frameio-sdk-venv}"

cargo build --release -q -p frameio-kit-upload-bench
BIN="${CARGO_TARGET_DIR:-target}/release/upload-bench"

if [[ " $MODES " == *" sdk "* && ! -x "$VENV/bin/python" ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "frameio==4.0.0"
fi

WORK="$(mktemp -d "$TMP/upload-bench.XXXXXX")"
SERVER_PID=""
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

FILE="$WORK/bench.bin"
"$BIN" gen "$FILE" "$SIZE"

"$BIN" serve "$PART_SIZE" > "$WORK/server.out" &
SERVER_PID=$!
for _ in $(seq 1 100); do grep -q '^PORT ' "$WORK/server.out" 2>/dev/null && break; sleep 0.05; done
BASE="http://127.0.0.1:$(awk '/^PORT /{print $2}' "$WORK/server.out")"

echo "# size=$SIZE part_size=$PART_SIZE concurrency=$CONCURRENCY rounds=$ROUNDS"
echo "# mode seconds MiB/s peak_rss_KiB"
read -r -a modes <<< "$MODES"
for round in $(seq 1 "$ROUNDS"); do
  n=${#modes[@]}
  for i in $(seq 0 $((n - 1))); do
    mode="${modes[$(((i + round - 1) % n))]}"
    if [[ "$mode" == sdk ]]; then
      cmd=("$VENV/bin/python" bench/upload/sdk_upload.py "$BASE" "$FILE" "$CONCURRENCY")
    else
      cmd=("$BIN" "$mode" "$BASE" "$FILE" "$CONCURRENCY")
    fi
    line="$(/usr/bin/time -f 'RSS %M' "${cmd[@]}" 2> "$WORK/time.err")"
    rss="$(awk '/^RSS /{print $2}' "$WORK/time.err")"
    echo "$line $rss"
  done
done
"$BIN" stats "$BASE"
