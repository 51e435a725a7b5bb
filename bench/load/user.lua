-- Requests from distinct signed-in users. METHOD, PATH and BODY from the environment; the
-- tokens from the file TOKENS; WRK_THREADS threads.
package.path = os.getenv("LOAD_DIR") .. "/?.lua;" .. package.path
local t = require("tokens")
setup = t.setup
local tokens, threads, i = nil, tonumber(os.getenv("WRK_THREADS")), 0
local method, path, body = os.getenv("METHOD"), os.getenv("PATH_"), os.getenv("BODY")

init = function() tokens = t.load(os.getenv("TOKENS")); math.randomseed(os.time() + (slice or 0)) end

local function uuid()
  return string.format("%08x-%04x-4%03x-8%03x-%012x", math.random(0, 0xffffffff), math.random(0, 0xffff),
    math.random(0, 0xfff), math.random(0, 0xfff), math.random(0, 0xffffffffffff))
end

request = function()
  i = i + 1
  local headers = { ["Authorization"] = "Bearer " .. t.pick(tokens, threads, i), ["Content-Type"] = "application/json" }
  local b = body
  if b and b:find("EVENTS") then
    local events = {}
    for _ = 1, 20 do
      events[#events + 1] = '{"id":"' .. uuid() .. '","kind":"banner_shown","at":"2026-11-29T10:00:00Z"}'
    end
    b = b:gsub("EVENTS", table.concat(events, ","))
  end
  return wrk.format(method, path, headers, b)
end
