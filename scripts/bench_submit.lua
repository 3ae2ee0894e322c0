-- wrk script of scripts/bench_submit.py: one connection per wrk thread is one phone.
--
--   wrk -t8 -c8 -d20s -s scripts/bench_submit.lua URL -- MODE SERVER WORK_FILE THREADS DONE_DIR SHORT_ID
--
-- MODE: "flow" (a phone's whole journey, again and again with fresh codes), "prepare"
-- (the journey up to the filled-in answer form, kept for the submit run) or "submit"
-- (post the prepared forms). SERVER: "app" (landing page, code entry showing the
-- questionnaire, answers) or "ceiling" (GET /form, POST /form). WORK_FILE holds one code
-- (flow, prepare) or one prepared form (submit: cookie TAB body) a line; thread i takes
-- lines i, i+THREADS, ... When a thread runs out it touches DONE_DIR/<i> and stops, so
-- the driver can end a count-bounded run. done() prints what the driver parses:
--   LAT <step> <seconds>  one line per answered request, per step
--   STAT <thread> <ok> <failed> <submits sent> <first start> <last end>
--   PREP <cookie> TAB <body>  (prepare mode)

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *tp);
]]
local clock = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) * 1e-9
end

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

local function urlencode(text)
  return (string.gsub(text, "[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

local function form_body(fields)
  local parts = {}
  for _, pair in ipairs(fields) do
    table.insert(parts, pair[1] .. "=" .. urlencode(pair[2]))
  end
  return table.concat(parts, "&")
end

local mode, server, short_id, done_dir
local work = {}
local position = 0
local step = 1
local cookie = nil
local token = nil
local answer_body = nil
local sent_at = 0
local flow_started = 0
local stopped = false

-- Read by done() through thread:get.
lat1, lat2, lat3 = {}, {}, {}
ok, failed, submits_sent = 0, 0, 0
first_start, last_end = 0, 0
prepared = {}

function init(args)
  mode, server = args[1], args[2]
  local threads_total = tonumber(args[4])
  done_dir, short_id = args[5], args[6]
  local line_number = 0
  for line in io.lines(args[3]) do
    if line_number % threads_total == tid then
      table.insert(work, line)
    end
    line_number = line_number + 1
  end
end

local function finish()
  if not stopped then
    stopped = true
    local marker = io.open(done_dir .. "/" .. tid, "w")
    if marker then marker:close() end
    wrk.thread:stop()
  end
end

local function next_work()
  position = position + 1
  return work[position]
end

local landing_path = function() return server == "app" and ("/s/" .. short_id) or "/form" end

local function with_cookie(headers)
  if cookie then headers["Cookie"] = cookie end
  return headers
end

local function post(path, body)
  return wrk.format("POST", path, with_cookie({
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }), body)
end

function request()
  if stopped then
    return wrk.format("GET", landing_path())
  end
  if mode == "submit" then
    local line = next_work()
    if line == nil then
      finish()
      return wrk.format("GET", landing_path())
    end
    local tab = string.find(line, "\t", 1, true)
    cookie = string.sub(line, 1, tab - 1)
    step = 3
    submits_sent = submits_sent + 1
    sent_at = now()
    if first_start == 0 then first_start = sent_at end
    return post(server == "app" and ("/s/" .. short_id .. "/answer") or "/form", string.sub(line, tab + 1))
  end
  if step == 1 then
    code = next_work()
    if code == nil then
      finish()
      return wrk.format("GET", landing_path())
    end
    cookie = nil -- a new phone
    sent_at = now()
    flow_started = sent_at
    if first_start == 0 then first_start = sent_at end
    return wrk.format("GET", landing_path())
  end
  sent_at = now()
  if step == 2 then
    return post("/s/" .. short_id, form_body({ { "csrf_token", token }, { "code", code } }))
  end
  submits_sent = submits_sent + 1
  return post(server == "app" and ("/s/" .. short_id .. "/answer") or "/form", answer_body)
end

local function keep_cookie(headers)
  local value = headers["Set-Cookie"] or headers["set-cookie"]
  if value then
    cookie = string.match(value, "^([^;]+)")
  end
end

local function csrf_of(body)
  return string.match(body, 'name="csrf_token"[^>]*value="([^"]*)"')
end

local function fail()
  failed = failed + 1
  step = 1
end

function response(status, headers, body)
  if stopped then return end
  local finished = now()
  local latency = finished - sent_at
  if step == 1 then
    table.insert(lat1, latency)
    keep_cookie(headers)
    token = csrf_of(body)
    if status ~= 200 or token == nil then return fail() end
    if server == "app" then
      step = 2
    else
      answer_body = form_body({ { "csrf_token", token }, { "code", code }, { "answer", "4" } })
      step = 3
      if mode == "prepare" then
        table.insert(prepared, cookie .. "\t" .. answer_body)
        ok = ok + 1
        last_end = finished
        step = 1
      end
    end
    return
  end
  if step == 2 then
    table.insert(lat2, latency)
    keep_cookie(headers)
    token = csrf_of(body)
    if status ~= 200 or token == nil then return fail() end
    local fields = { { "csrf_token", token } }
    for _, name in ipairs({ "entry", "carried", "step" }) do
      local value = string.match(body, 'name="' .. name .. '"[^>]*value="([^"]*)"')
      if value == nil then return fail() end
      table.insert(fields, { name, value })
    end
    -- Every question answered (the first choice of each), as a resident who answers all.
    local seen = {}
    for name, value in string.gmatch(body, 'type="radio" name="(q_[^"]+)" value="([^"]*)"') do
      if not seen[name] then
        seen[name] = true
        table.insert(fields, { name, value })
      end
    end
    table.insert(fields, { "nav", "submit" })
    answer_body = form_body(fields)
    if mode == "prepare" then
      table.insert(prepared, cookie .. "\t" .. answer_body)
      ok = ok + 1
      last_end = finished
      step = 1
    else
      step = 3
    end
    return
  end
  table.insert(lat3, latency)
  local stored = status == 200 and (server == "ceiling" or string.find(body, 'class="receipt"', 1, true))
  if stored then
    ok = ok + 1
    last_end = finished
  else
    failed = failed + 1
  end
  step = 1
end

function done(summary, latency, requests)
  local out = {}
  for index, thread in ipairs(threads) do
    for number, name in ipairs({ "lat1", "lat2", "lat3" }) do
      for _, value in ipairs(thread:get(name) or {}) do
        table.insert(out, string.format("LAT %d %.6f", number, value))
      end
    end
    table.insert(out, string.format("STAT %d %d %d %d %.6f %.6f", index - 1, thread:get("ok"),
      thread:get("failed"), thread:get("submits_sent"), thread:get("first_start"), thread:get("last_end")))
    for _, line in ipairs(thread:get("prepared") or {}) do
      table.insert(out, "PREP " .. line)
    end
  end
  io.write(table.concat(out, "\n") .. "\n")
end
