-- wrk script of scripts/soak.sh: a weighted mix of jpki-mock requests (OCSP POST and
-- GET with and without a nonce, CRL fetches), read from the manifest named by the
-- SOAK_MANIFEST environment variable: one request per line,
--   METHOD PATH CONTENT-TYPE|- BODY-FILE|- WEIGHT
-- Every response is checked: HTTP 200, and for OCSP a successful responseStatus.
-- done() prints one JSON line (prefixed "SOAK-RESULT ") with the totals and latency.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local manifest = os.getenv("SOAK_MANIFEST")
  requests = {}
  for line in io.lines(manifest) do
    local method, path, ctype, file, weight =
      line:match("^(%S+) (%S+) (%S+) (%S+) (%d+)$")
    if method then
      local headers = {}
      local body = nil
      if ctype ~= "-" then headers["Content-Type"] = ctype end
      if file ~= "-" then
        local f = assert(io.open(file, "rb"))
        body = f:read("*a")
        f:close()
      end
      local req = wrk.format(method, path, headers, body)
      for _ = 1, tonumber(weight) do table.insert(requests, req) end
    end
  end
  assert(#requests > 0, "empty manifest")
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
  ocsp_ok, ocsp_bad, crl_ok, other_ok, http_bad = 0, 0, 0, 0, 0
  bad_sample = ""
end

function request()
  return requests[math.random(#requests)]
end

-- responseStatus of a DER OCSPResponse: SEQUENCE { ENUMERATED status, ... }.
local function ocsp_status(body)
  if body == nil or #body < 5 or body:byte(1) ~= 0x30 then return nil end
  local len = body:byte(2)
  local skip = 2
  if len >= 0x80 then skip = 2 + (len - 0x80) end
  if body:byte(skip + 1) ~= 0x0a or body:byte(skip + 2) ~= 0x01 then return nil end
  return body:byte(skip + 3)
end

function response(status, headers, body)
  if status ~= 200 then
    http_bad = http_bad + 1
    if bad_sample == "" then bad_sample = "HTTP " .. status end
    return
  end
  local ctype = headers["Content-Type"] or headers["content-type"] or ""
  if ctype == "application/ocsp-response" then
    if ocsp_status(body) == 0 then
      ocsp_ok = ocsp_ok + 1
    else
      ocsp_bad = ocsp_bad + 1
      if bad_sample == "" then bad_sample = "OCSP responseStatus " .. tostring(ocsp_status(body)) end
    end
  elseif ctype == "application/pkix-crl" then
    crl_ok = crl_ok + 1
  else
    other_ok = other_ok + 1
  end
end

function done(summary, latency, requests)
  local t = { ocsp_ok = 0, ocsp_bad = 0, crl_ok = 0, other_ok = 0, http_bad = 0 }
  local sample = ""
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + (thread:get(k) or 0) end
    local s = thread:get("bad_sample")
    if sample == "" and s and s ~= "" then sample = s end
  end
  local e = summary.errors
  io.write(string.format(
    'SOAK-RESULT {"requests": %d, "duration_s": %.1f, "ocsp_ok": %d, "ocsp_bad": %d, ' ..
    '"crl_ok": %d, "other_ok": %d, "http_non_200": %d, "socket_connect": %d, ' ..
    '"socket_read": %d, "socket_write": %d, "timeouts": %d, "p50_ms": %.2f, ' ..
    '"p90_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "first_error": "%s"}\n',
    summary.requests, summary.duration / 1e6, t.ocsp_ok, t.ocsp_bad, t.crl_ok, t.other_ok,
    t.http_bad, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, sample))
end
