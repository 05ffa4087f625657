-- wrk script for `make bench` (scripts/bench.sh). Environment:
--   KW_PATH    the path to request (default /)
--   KW_TOKENS  a file of bearer tokens, one a line: each request carries the next one
--              (`Authorization: Bearer ...`), the threads starting at different places;
--              unset or empty: no Authorization header
--   KW_METHOD  GET (default) or POST; KW_BODY: a JSON body to send
-- At the end it prints one line, `RESULT key=value ...`, which bench.sh reads: requests,
-- duration, requests/s, latency percentiles (microseconds), responses with a status of 400
-- or more, and socket errors.

local path = os.getenv("KW_PATH") or "/"
local tokens_file = os.getenv("KW_TOKENS") or ""
local method = os.getenv("KW_METHOD") or "GET"
local body = os.getenv("KW_BODY")

local threads = 0
function setup(thread)
   thread:set("thread_no", threads)
   threads = threads + 1
end

local headers, tokens, n = {}, {}, 0

function init(args)
   if tokens_file ~= "" then
      for line in io.lines(tokens_file) do
         if #line > 0 then
            tokens[#tokens + 1] = "Bearer " .. line
         end
      end
   end
   n = (thread_no or 0) * 499
   if body then
      headers["Content-Type"] = "application/json"
   end
end

function request()
   if #tokens > 0 then
      n = n + 1
      headers["Authorization"] = tokens[n % #tokens + 1]
   end
   return wrk.format(method, path, headers, body)
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d mean_us=%.1f max_us=%d status_errors=%d socket_errors=%d\n",
      summary.requests, summary.duration, summary.requests / summary.duration * 1e6,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.mean, latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
