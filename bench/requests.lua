-- wrk script for bench/run.sh: cycles through pre-signed Frame.io deliveries.
--
-- BENCH_REQUESTS names a file written by `bench-gen requests N FILE`, one delivery a line:
-- timestamp<TAB>signature<TAB>body. Each wrk thread formats its own share of the file (thread
-- k of T: lines k*N/T+1 to (k+1)*N/T) once in init(), so request() only hands back a ready
-- string, and no two threads send the same delivery until a thread has gone through its share.
-- done() prints one machine-readable line: BENCH rps=… p50_us=… p99_us=… …

local thread_count = 0
local requests = {}
local count = 0
local index = 0

function setup(thread)
  thread:set("thread_number", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  local path = os.getenv("BENCH_REQUESTS")
  local file = assert(io.open(path, "r"), "cannot open BENCH_REQUESTS=" .. tostring(path))
  -- Each thread keeps only its own share of the file (memory: a formatted request is ~500
  -- bytes, and LEDGER=on runs need a million distinct ones).
  local lines = 0
  for _ in file:lines() do lines = lines + 1 end
  assert(lines > 0, "no requests in " .. path)
  local threads = tonumber(args[1]) or 2
  local share = math.max(1, math.floor(lines / threads))
  local first = share * (thread_number or 0) + 1
  local last = (thread_number or 0) == threads - 1 and lines or first + share - 1
  file:seek("set", 0)
  local n = 0
  for line in file:lines() do
    n = n + 1
    if n >= first and n <= last then
      local timestamp, signature, body = line:match("^([^\t]+)\t([^\t]+)\t(.+)$")
      if timestamp then
        count = count + 1
        requests[count] = wrk.format("POST", "/", {
          ["Content-Type"] = "application/json",
          ["User-Agent"] = "Frame.io V4 API",
          ["X-Frameio-Request-Timestamp"] = timestamp,
          ["X-Frameio-Signature"] = signature,
        }, body)
      end
    end
  end
  file:close()
  assert(count > 0, "no requests for this thread in " .. path)
  index = 0
end

function request()
  index = index % count + 1
  return requests[index]
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d seconds=%.2f rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "mean_us=%.1f non2xx=%d connect_err=%d read_err=%d write_err=%d timeouts=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, e.status, e.connect, e.read, e.write, e.timeout))
end
