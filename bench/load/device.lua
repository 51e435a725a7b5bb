-- PUT /v1/consents from distinct devices: DEVICES holds `<id> <proof>` a line.
package.path = os.getenv("LOAD_DIR") .. "/?.lua;" .. package.path
local t = require("tokens")
setup = t.setup
local devices, threads, i = nil, tonumber(os.getenv("WRK_THREADS")), 0
local body = os.getenv("BODY")

init = function() devices = t.load(os.getenv("DEVICES")) end

request = function()
  i = i + 1
  local id, proof = t.pick(devices, threads, i):match("(%S+) (%S+)")
  local headers = { ["X-Consent-Device"] = id, ["X-Consent-Device-Proof"] = proof, ["Content-Type"] = "application/json" }
  return wrk.format("PUT", "/v1/consents", headers, body)
end
