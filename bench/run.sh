#!/usr/bin/env bash
# Load benchmark: frameio-kit (`kit-server`) against a bare actix-web yardstick (`bare-server`).
#
#   bench/run.sh                 # from the repository root; needs wrk (apt-get install -y wrk)
#   LEDGER=on REQUESTS=1500000 bench/run.sh   # the kit with its replay ledger on (see LEDGER)
#   LEDGER=redis REQUESTS=300000 bench/run.sh # the kit with its replay ledger in Redis
#
# Builds both servers in release, then for each round and each server: picks a free port on
# 127.0.0.1, starts the server (RUST_LOG=warn, WORKERS workers), checks one webhook and one
# action answer, writes REQUESTS freshly signed deliveries, warms up, loads it with
# `wrk -tTHREADS -cCONNECTIONS -dDURATION` cycling through the deliveries (bench/requests.lua),
# reads the peak RSS (VmHWM) and the server's CPU time, and stops the server by PID. Prints
# requests/s, p50/p99 latency, peak RSS and CPU us/request per run, then the medians over the
# rounds, the kit/bare ratio of each round (two runs back to back) and their median.
# Not part of `cargo test`. Settings (environment):
DURATION=${DURATION:-15}        # seconds of measured load per run
WARMUP=${WARMUP:-3}             # seconds of unmeasured load before it
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}           # wrk threads
WORKERS=${WORKERS:-2}           # server worker threads (the same for both servers)
REQUESTS=${REQUESTS:-50000}     # distinct signed deliveries (1 in 4 is an action click)
LEDGER=${LEDGER:-off}           # kit-server's replay ledger. off (default): wrk cycles through the
                                # REQUESTS deliveries, so with the ledger on every request after
                                # the first cycle would be a replay (answered from the ledger,
                                # the handler not run): off compares the two pipelines. on: the
                                # kit's default configuration; then REQUESTS must be at least
                                # the requests the measured load sends (rps x DURATION, e.g.
                                # REQUESTS=1500000 for 15 s at ~60k/s: the script warns when it
                                # was not), and the warm-up sends WARM_REQUESTS other deliveries.
                                # redis: like on, with the ledger in a private redis-server
                                # (started on a free port, emptied before each kit run, stopped
                                # at the end; kit-server built with the bench's `redis` feature);
                                # the result line adds Redis's own CPU time per request.
WARM_REQUESTS=${WARM_REQUESTS:-200000}  # LEDGER=on/redis: distinct deliveries of the checks and warm-up
ROUNDS=${ROUNDS:-3}             # rounds; the server order alternates between rounds
SERVERS=${SERVERS:-"kit-server bare-server"}  # which servers, in the first round's order
LOG=${LOG:-warn}                # the servers' RUST_LOG; with LOG=info the kit server logs as the
                                # quickstart does by default (one line per delivery, written to
                                # $OUT/<server>.log)
NICE=${NICE:-0}                 # niceness of server and wrk; negative (root) shields the
                                # measurement from other work on a shared machine
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PROFILE=${PROFILE:-release}     # cargo profile of both servers; PROFILE=production: fat LTO, one codegen unit
BIN=$TARGET/$PROFILE
OUT=${OUT:-$TARGET/bench-load}
mkdir -p "$OUT"

echo "== building ($PROFILE)" >&2
features=()
[[ $LEDGER == redis ]] && features=(--features redis)
cargo build --profile "$PROFILE" --quiet -p frameio-kit-bench --bins "${features[@]}"

server_pid=""
stop_server() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$server_pid" 2>/dev/null && kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}

# LEDGER=redis: a private redis-server for the kit's ledger; kit-server gets LEDGER=on and
# LEDGER_REDIS_URL.
redis_pid="" redis_port="" server_ledger=$LEDGER
stop_redis() {
  [[ -z $redis_pid ]] || { kill -TERM "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; } || true
  redis_pid=""
}
trap 'stop_server; stop_redis' EXIT INT TERM
if [[ $LEDGER == redis ]]; then
  command -v redis-server >/dev/null || { echo "redis-server is missing: apt-get install -y redis-server" >&2; exit 1; }
  redis_port=$("$BIN/bench-gen" free-port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$OUT/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  export LEDGER_REDIS_URL="redis://127.0.0.1:$redis_port/"
  server_ledger=on
fi
# redis_cpu: Redis's user + system CPU seconds so far (0 without LEDGER=redis).
redis_cpu() {
  if [[ -n $redis_port ]]; then
    redis-cli -p "$redis_port" info cpu | tr -d '\r' |
      awk -F: '/^used_cpu_(user|sys):/ { s += $2 } END { printf "%.6f", s }'
  else echo 0; fi
}

# post PORT LINE: sends one delivery line (timestamp TAB signature TAB body); prints
# "status body".
post() {
  local port=$1 timestamp signature body
  IFS=$'\t' read -r timestamp signature body <<<"$2"
  curl -s -o "$OUT/answer" -w '%{http_code}' -X POST "http://127.0.0.1:$port/" \
    -H 'Content-Type: application/json' -H "X-Frameio-Request-Timestamp: $timestamp" \
    -H "X-Frameio-Signature: $signature" --data-binary "$body"
  printf ' %s' "$(cat "$OUT/answer")"
}

# cpu_ticks PID: user + system clock ticks the process has used so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

run_one() { # run_one SERVER ROUND
  local server=$1 round=$2 port requests result hwm
  port=$("$BIN/bench-gen" free-port)
  if [[ -n $redis_port && $server == kit-server ]]; then redis-cli -p "$redis_port" flushall >/dev/null; fi
  LEDGER=$server_ledger RUST_LOG=$LOG FRAMEIO_KIT_BENCH_LOG=$LOG nice -n "$NICE" "$BIN/$server" --port "$port" \
    --workers "$WORKERS" >"$OUT/$server.log" &
  server_pid=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { echo "$server exited" >&2; exit 1; }
    sleep 0.1
  done
  requests=$OUT/requests-$server.tsv
  local warm=$requests
  if [[ $LEDGER != off ]]; then
    # Checks and warm-up on deliveries 0..WARM_REQUESTS-1, the load on the next REQUESTS: no
    # measured request is a replay of an earlier one (as long as REQUESTS is large enough).
    warm=$OUT/warm-$server.tsv
    "$BIN/bench-gen" requests "$WARM_REQUESTS" "$warm"
    "$BIN/bench-gen" requests "$REQUESTS" "$requests" "$WARM_REQUESTS"
  else
    "$BIN/bench-gen" requests "$REQUESTS" "$requests"
  fi
  # Delivery 0 is a webhook, delivery 3 an action click.
  local webhook action
  webhook=$(post "$port" "$(sed -n 1p "$warm")")
  action=$(post "$port" "$(sed -n 4p "$warm")")
  [[ $webhook == "200 OK" && $action == '200 {"title":"Hello!",'* ]] || {
    echo "$server answered wrongly: webhook [$webhook] action [$action]" >&2; exit 1; }
  if (( WARMUP > 0 )); then
    BENCH_REQUESTS=$warm nice -n "$NICE" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" \
      -s bench/requests.lua "http://127.0.0.1:$port/" -- "$THREADS" >/dev/null
  fi
  local load cpu_before cpu_after redis_before redis_after
  load=$(cut -d' ' -f1 /proc/loadavg)
  cpu_before=$(cpu_ticks "$server_pid")
  redis_before=$(redis_cpu)
  BENCH_REQUESTS=$requests nice -n "$NICE" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency \
    -s bench/requests.lua "http://127.0.0.1:$port/" -- "$THREADS" >"$OUT/wrk-$server-$round.txt"
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status")
  cpu_after=$(cpu_ticks "$server_pid")
  redis_after=$(redis_cpu)
  stop_server
  result=$(grep '^BENCH ' "$OUT/wrk-$server-$round.txt") || {
    echo "no result from wrk:" >&2; cat "$OUT/wrk-$server-$round.txt" >&2; exit 1; }
  local requests_done cpu_us
  requests_done=$(sed 's/.* requests=\([0-9]*\) .*/\1/' <<<"$result")
  # Server CPU time (user + system) per request: far less sensitive to other load than req/s.
  cpu_us=$(awk -v t=$((cpu_after - cpu_before)) -v hz="$(getconf CLK_TCK)" -v n="$requests_done" \
    'BEGIN { printf "%.2f", t / hz * 1e6 / n }')
  local redis_field=""
  if [[ -n $redis_port && $server == kit-server ]]; then
    redis_field=" redis_cpu_us_per_req=$(awk -v a="$redis_before" -v b="$redis_after" -v n="$requests_done" \
      'BEGIN { printf "%.2f", (b - a) * 1e6 / n }')"
  fi
  if [[ $LEDGER != off ]] && (( requests_done > REQUESTS )); then
    echo "warning: $server got $requests_done requests for $REQUESTS distinct deliveries: some were replays; raise REQUESTS" >&2
  fi
  echo "$server round=$round ledger=$LEDGER load1=$load peak_rss_kib=$hwm cpu_us_per_req=$cpu_us$redis_field ${result#BENCH }" |
    tee -a "$OUT/results.txt"
  if ! grep -q ' non2xx=0 connect_err=0 read_err=0 write_err=0 timeouts=0' <<<"$result"; then
    echo "warning: $server had failed requests (see above)" >&2
  fi
}

: >"$OUT/results.txt"
echo "== $(date -u +%FT%TZ) $(nproc) cpus, load: $(cut -d' ' -f1-3 /proc/loadavg); wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, $WORKERS workers, $REQUESTS deliveries, ledger $LEDGER, nice $NICE" >&2
for round in $(seq "$ROUNDS"); do
  order=$SERVERS
  (( round % 2 )) || order=$(tr ' ' '\n' <<<"$SERVERS" | tac | tr '\n' ' ')
  for server in $order; do run_one "$server" "$round"; done
done

# Medians over the rounds, then the ratios.
awk '
  function field(name,   i, kv) { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] } }
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { s = $1; r = field("round"); rounds[r] = 1
    round_rps[s, r] = field("rps"); round_p99[s, r] = field("p99_us"); round_cpu[s, r] = field("cpu_us_per_req")
    rps[s] = rps[s] " " field("rps"); p50[s] = p50[s] " " field("p50_us")
    p99[s] = p99[s] " " field("p99_us"); rss[s] = rss[s] " " field("peak_rss_kib")
    cpu[s] = cpu[s] " " field("cpu_us_per_req") }
  END {
    printf "\n%-12s %12s %10s %10s %14s %16s\n", "server", "requests/s", "p50 (us)", "p99 (us)", "peak RSS (MiB)", "CPU us/request"
    for (s in rps) {
      m_rps[s] = median(rps[s]); m_p50[s] = median(p50[s]); m_p99[s] = median(p99[s]); m_rss[s] = median(rss[s])
      m_cpu[s] = median(cpu[s])
      printf "%-12s %12.0f %10.0f %10.0f %14.1f %16.2f\n", s, m_rps[s], m_p50[s], m_p99[s], m_rss[s] / 1024, m_cpu[s]
    }
    k = "kit-server"; b = "bare-server"
    if (!(k in rps) || !(b in rps)) exit
    # Paired: each round compares two runs made one after the other, under similar load.
    for (r in rounds) if ((k, r) in round_rps && (b, r) in round_rps) {
      pr_rps = pr_rps " " round_rps[k, r] / round_rps[b, r]; pr_p99 = pr_p99 " " round_p99[k, r] / round_p99[b, r]
      pr_cpu = pr_cpu " " round_cpu[k, r] / round_cpu[b, r]
      printf "round %s kit/bare: throughput %.3f, p99 %.3f, CPU/request %.3f\n", r,
        round_rps[k, r] / round_rps[b, r], round_p99[k, r] / round_p99[b, r], round_cpu[k, r] / round_cpu[b, r]
    }
    printf "\nkit/bare, median of the rounds'"'"' ratios: throughput %.3f (target >= 0.9), p99 %.3f (target <= 1.2), CPU/request %.3f\n",
      median(pr_rps), median(pr_p99), median(pr_cpu)
    printf "kit/bare, ratio of the medians:         throughput %.3f, p99 %.3f, CPU/request %.3f\nkit peak RSS %.1f MiB (target <= 20)\n",
      m_rps[k] / m_rps[b], m_p99[k] / m_p99[b], m_cpu[k] / m_cpu[b], m_rss[k] / 1024
  }' "$OUT/results.txt"
echo "(raw: $OUT/results.txt, $OUT/wrk-*.txt)"
