-- wrk script of bench/run's serve benchmark: GETs one OData request, with the bearer
-- token in BENCH_TOKEN if set (our bridge needs one; CAP runs with dummy auth; from the
-- environment, so that it shows in no process list). The requests are defined once,
-- in bench/harness/serve_bench.py (REQUESTS), and passed in:
--
--   BENCH_TOKEN=… wrk -c N -t T -d Ds -s bench/odata.lua http://127.0.0.1:PORT -- PATH PAGES
--
-- A `{skip}` in PATH walks every page: K = 0, 1000, … (PAGES of them), a stride through
-- them that differs per thread and is the same every run, so that no randomness tells
-- the contenders apart. done() prints one JSON line: requests, errors (non-2xx and
-- socket errors), seconds, latency percentiles in microseconds.

local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  path, pages = args[1], tonumber(args[2])
  local token = os.getenv("BENCH_TOKEN")
  step = id
  headers = { ["Accept"] = "application/json" }
  if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end
end

function request()
  step = step + 7
  local skip = tostring((step % pages) * 1000)
  return wrk.format("GET", (path:gsub("{skip}", skip)), headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"errors":%d,"seconds":%.6f,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout,
    summary.duration / 1e6, latency:percentile(50), latency:percentile(99), latency.max))
end
