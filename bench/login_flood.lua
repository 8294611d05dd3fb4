-- wrk script: a login flood from many addresses (X-Forwarded-For behind a trusted proxy),
-- each request a random email and password. Counts the answers by status.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + id * 7919)
  counts = { s401 = 0, s429 = 0, s503 = 0, s5xx = 0, other = 0 }
end

function request()
  local ip = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
  local email = string.format("user%d@example.org", math.random(1, 1000000))
  local body = "email=" .. email .. "&password=guess" .. math.random(1, 1000000) .. "&csrf=flood"
  return wrk.format("POST", "/login", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "wl_login=flood",
    ["X-Forwarded-For"] = ip,
  }, body)
end

function response(status, headers, body)
  if status == 401 then counts.s401 = counts.s401 + 1
  elseif status == 429 then counts.s429 = counts.s429 + 1
  elseif status == 503 then counts.s503 = counts.s503 + 1
  elseif status >= 500 then counts.s5xx = counts.s5xx + 1
  else counts.other = counts.other + 1 end
end

function done(summary, latency, requests)
  local t = { s401 = 0, s429 = 0, s503 = 0, s5xx = 0, other = 0 }
  for _, th in ipairs(threads) do
    local c = th:get("counts")
    for k, v in pairs(c) do t[k] = t[k] + v end
  end
  local n = t.s401 + t.s429 + t.s503 + t.s5xx + t.other
  local seconds = summary.duration / 1e6
  io.write(string.format("login flood: %d answered in %.1f s (%.0f/s): %d checked (401), %d refused 429 (%.1f%%), %d busy 503, %d other 5xx, %d other; socket errors %d\n",
    n, seconds, n / seconds, t.s401, t.s429, 100 * t.s429 / math.max(n, 1), t.s503, t.s5xx, t.other,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
