-- wrk script of scripts/bench_wrk.py: requests from a file, the answers' statuses and SQL counts.
--
--   wrk -t T -c C -d D -s scripts/bench_wrk.lua URL -- ITEMS_FILE T once|cycle [RATE C [LATENCY_MS]]
--
-- ITEMS_FILE has one request a line: METHOD<TAB>PATH<TAB>TOKEN or -<TAB>BODY or -. Thread i
-- (of T) takes lines i, i+T, i+2T...; it sends them in turn. "cycle" starts again when they
-- run out (reads); "once" stops the thread then (writes: each attempt changes once), and
-- "exhausted" counts the threads so stopped. Each answer's status and X-Query-Count are
-- tallied; done() prints one line "WRK_JSON {...}" with them and wrk's own figures. With a
-- RATE (requests per second in all, over C connections) and a delay() function appended to
-- this script (wrk looks for it when it loads the script: bench_wrk.py appends it for that run
-- only), each connection waits C / RATE seconds less LATENCY_MS (the answers' mean time,
-- measured before) between an answer and its next request: about RATE a second while answers
-- take LATENCY_MS on average.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

function init(args)
  local count = tonumber(args[2])
  once = args[3] == "once"
  local rate = tonumber(args[4] or "0")
  wait = 0
  if rate > 0 then
    -- milliseconds between an answer and the connection's next request
    wait = math.max(0, 1000 * tonumber(args[5]) / rate - tonumber(args[6] or "0"))
  end
  items, sent, exhausted, statuses, queries = {}, 0, 0, {}, {}
  local number = 0
  for line in io.lines(args[1]) do
    if number % count == id then
      local fields = split(line)
      local headers = {["Accept"] = "application/json"}
      if fields[3] ~= "-" then headers["Authorization"] = "Bearer " .. fields[3] end
      local body = nil
      if fields[4] ~= "-" then
        body = fields[4]
        headers["Content-Type"] = "application/json"
      end
      table.insert(items, wrk.format(fields[1], fields[2], headers, body))
    end
    number = number + 1
  end
  if #items == 0 then  -- fewer lines than threads (a single read): every thread sends line 1
    init_all(args[1])
  end
end

function init_all(path)
  for line in io.lines(path) do
    local fields = split(line)
    local headers = {["Accept"] = "application/json", ["Authorization"] = "Bearer " .. fields[3]}
    table.insert(items, wrk.format(fields[1], fields[2], headers, nil))
  end
end

function request()
  sent = sent + 1
  if once and sent > #items then
    -- Every item was sent: the thread stops; this request may go out but is never read.
    if exhausted == 0 then wrk.thread:stop() end
    exhausted = 1
  end
  return items[(sent - 1) % #items + 1]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  local count = headers["X-Query-Count"] or "none"
  queries[count] = (queries[count] or 0) + 1
end

local function merge(into, from)
  for key, value in pairs(from) do into[key] = (into[key] or 0) + value end
end

local function object(map)
  local parts = {}
  for key, value in pairs(map) do
    table.insert(parts, string.format('"%s": %d', key, value))
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
  local all_statuses, all_queries, all_exhausted = {}, {}, 0
  for _, thread in ipairs(threads) do
    merge(all_statuses, thread:get("statuses"))
    merge(all_queries, thread:get("queries"))
    all_exhausted = all_exhausted + thread:get("exhausted")
  end
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, '
      .. '"write": %d, "status": %d, "timeout": %d}, "latency_us": {"mean": %.1f, "p50": %d, '
      .. '"p90": %d, "p99": %d, "max": %d}, "statuses": %s, "queries": %s, "exhausted": %d}\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write,
    errors.status, errors.timeout, latency.mean, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max,
    object(all_statuses), object(all_queries), all_exhausted))
end
