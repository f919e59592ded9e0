-- wrk script of checkin.sh: every request is for a random device of the seeded fleet, with that device's own token.
-- Environment (set by checkin.sh):
--   BENCH_MODE     baseline | heartbeat | check | mix
--                  baseline: GET /actuator/health/liveness, built the same way (random device, X-API-Key header),
--                            so that Lua's share of wrk's CPU is the same in every scenario
--                  heartbeat: what an agent sends every five minutes (its reply answers the update check too)
--                  mix:      what an agent of the first protocol sent: a heartbeat, then the same device's check
--                  sweep:    the mix over every device in turn (thread t of T: devices S+t, S+t+T, ..., S from
--                            BENCH_SWEEP_START and T from BENCH_THREADS, so that successive runs go on where the last stopped), for the
--                            warm-up: each device has then been seen once, as in a fleet where every device calls
--                            every five minutes (the server may cache per-device state)
--   BENCH_DEVICES  fleet size N; device n has uuid 00000000-0000-7000-8000-<n as 12 hex digits>, token dvt_bench_<n>,
--                  and runs v1.0.0 with the update pending when n % 10 == 0, else v1.1.0 (see seed in checkin.sh)
--   BENCH_ADDRS    (instances_bench.sh) host:port,host:port,...: wrk's thread t sends to the ((t - 1) % count + 1)th
--                  address instead of the URL's, so that one wrk (one latency histogram) loads several server instances
--                  at once, each thread's connections to one of them; unset: every thread to the URL's
--   BENCH_CLOSE    1: the heartbeat (mix: its check) carries "Connection: close", so that every device's exchange
--                  opens a new TCP connection as a real agent does after five idle minutes (wrk reconnects)

local mode = os.getenv("BENCH_MODE") or "mix"
local devices = tonumber(os.getenv("BENCH_DEVICES") or "100000")
local close = os.getenv("BENCH_CLOSE") == "1"
local sweep_start = tonumber(os.getenv("BENCH_SWEEP_START") or "0")
-- BENCH_DELAY_MS: pause of each connection between its requests (wrk's delay()), to send a fleet's real rate
-- instead of as much as the server takes; latency then reads as a device would see it at that rate
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if delay_ms > 0 then
   -- uniform over [0, 2 * delay]: the same mean, but connections drift apart instead of calling in waves
   function delay() return math.random(0, 2 * delay_ms) end
end

-- wrk's -t is passed in, not counted in setup(): a number copied with thread:set once arrived as a string that
-- arithmetic refused (a run at a million devices died in its first sweep)
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")
local counter = 0

local addrs = {}
local threads = {}
for host, port in string.gmatch(os.getenv("BENCH_ADDRS") or "", "([^,:]+):(%d+)") do
   table.insert(addrs, { host = host, port = port })
end

function setup(thread)
   counter = counter + 1
   thread:set("id", string.format("%d", counter))
   if #addrs > 0 then
      local a = addrs[(counter - 1) % #addrs + 1]
      thread.addr = wrk.lookup(a.host, a.port)[1]
      table.insert(threads, { thread = thread, addr = a.host .. ":" .. a.port })
   end
end

local pending = nil
local next_device = nil

function init(args)
   math.randomseed(os.time() * 1000 + tonumber(id))
end

local function uuid(n)
   return string.format("00000000-0000-7000-8000-%012x", n)
end

local function version(n)
   if n % 10 == 0 then return "v1.0.0" end
   return "v1.1.0"
end

local function heartbeat(n, last)
   local headers = { ["X-API-Key"] = "dvt_bench_" .. n, ["Content-Type"] = "application/json" }
   if last and close then headers["Connection"] = "close" end
   return wrk.format("POST", "/api/v1/devices/" .. uuid(n) .. "/heartbeat", headers,
      '{"current_version":"' .. version(n) .. '","status":"online"}')
end

local function check(n, last)
   local headers = { ["X-API-Key"] = "dvt_bench_" .. n }
   if last and close then headers["Connection"] = "close" end
   return wrk.format("GET", "/api/v1/devices/" .. uuid(n) .. "/updates/check", headers)
end

-- requests built by this thread (with BENCH_ADDRS: how the load split between the addresses, one line in done())
sent = 0

function request()
   sent = sent + 1
   if mode == "baseline" then
      local n = math.random(devices)
      return wrk.format("GET", "/actuator/health/liveness", { ["X-API-Key"] = "dvt_bench_" .. n })
   elseif mode == "heartbeat" then
      return heartbeat(math.random(devices), true)
   elseif mode == "check" then
      return check(math.random(devices), false)
   end
   if pending then
      local n = pending
      pending = nil
      return check(n, true)
   end
   if mode == "sweep" then
      if next_device then
         next_device = (next_device - 1 + thread_count) % devices + 1
      else
         next_device = (sweep_start + tonumber(id) - 1) % devices + 1
      end
      pending = next_device
   else
      pending = math.random(devices)
   end
   return heartbeat(pending)
end

-- One machine-readable line for checkin.sh.
function done(summary, latency, requests)
   local s = summary
   io.write(string.format(
      "RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d connect_errors=%d read_errors=%d " ..
      "write_errors=%d timeouts=%d non2xx=%d\n",
      s.requests, s.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      s.errors.connect, s.errors.read, s.errors.write, s.errors.timeout, s.errors.status))
   if #threads > 0 then
      local parts = {}
      for _, t in ipairs(threads) do
         table.insert(parts, string.format("%s=%d", t.addr, t.thread:get("sent")))
      end
      io.write("SENT " .. table.concat(parts, " ") .. "\n")
   end
end
