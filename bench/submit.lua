-- wrk script: every request submits a fresh token through the JSON API.
-- TOKENS_FILE holds one token per line; each wrk thread takes its own share.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  tokens = {}
  local n = 0
  local nthreads = tonumber(os.getenv("WRK_THREADS") or "2")
  for line in io.lines(os.getenv("TOKENS_FILE")) do
    if n % nthreads == id then
      table.insert(tokens, line)
    end
    n = n + 1
  end
  next_token = 0
  created, gone, other = 0, 0, 0
end

local answers = '"p_wl1":4,"p_ct1":3,"p_rw1":2,"p_cm1":5,"p_fr1":3,"p_vl1":4,"p_ex1":2,'
  .. '"p_ex2":3,"p_cy1":1,"p_cy2":2,"p_ef1":4,"p_ef2":5,"p_rc1":3'

function request()
  next_token = next_token + 1
  local token = tokens[next_token] or "exhausted"
  local body = '{"token":"' .. token .. '","answers":{' .. answers .. '}}'
  return wrk.format("POST", "/api/v1/responses", { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  elseif status == 410 or status == 404 then
    gone = gone + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local c, g, o = 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    g = g + t:get("gone")
    o = o + t:get("other")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("stored %d, refused %d, other %d in %.1f s: %.0f submissions per second, p50 %.1f ms, p99 %.1f ms\n",
    c, g, o, seconds, c / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
