-- wrk script for bench/: the request from the environment, a JSON summary at the end.
--
--   WRK_METHOD   GET (default) or POST
--   WRK_TOKEN    bearer token for the Authorization header (optional)
--   WRK_COOKIE   a Cookie header (optional): a browser's session on the pages
--   WRK_BODIES   a file with one JSON body per line (optional); each thread takes them in
--                turn, starting at a different line
--   WRK_CONTENT_TYPE  the bodies' type (default application/json), e.g. a form's
--   WRK_AUTHORIZATION a whole Authorization header (optional), e.g. "Basic ..."
--   WRK_ONCE     "1": each body is sent once (single-use codes and refresh tokens): thread i
--                of n takes lines i, i+n, i+2n, ... and stops when its share is spent
--                (a request already on its way then resends the last body, answered with
--                an error and counted as one)
--   WRK_DPOP     a file with one DPoP proof per line (optional), sent as the DPoP header with
--                the body of the same line (bench/oidc.py's DPoP-bound refreshes)
--
-- The last line printed is "WRKJSON {...}": requests, errors, latency percentiles in µs.

local method = os.getenv("WRK_METHOD") or "GET"
local token = os.getenv("WRK_TOKEN")
local cookie = os.getenv("WRK_COOKIE")
local bodies_file = os.getenv("WRK_BODIES")
local content_type = os.getenv("WRK_CONTENT_TYPE") or "application/json"
local authorization = os.getenv("WRK_AUTHORIZATION")
local once = os.getenv("WRK_ONCE") == "1"
local proofs_file = os.getenv("WRK_DPOP")

local bodies = {}
if bodies_file then
  for line in io.lines(bodies_file) do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
end

local proofs = {}
if proofs_file then
  for line in io.lines(proofs_file) do
    if #line > 0 then proofs[#proofs + 1] = line end
  end
end

local thread_count = 0
local threads = tonumber(os.getenv("WRK_THREADS") or "1")  -- wrk's -t, for WRK_ONCE's stride
function setup(thread)
  thread:set("offset", thread_count * 7919)
  thread:set("index", thread_count)
  thread_count = thread_count + 1
end

local headers = {}
local next_body = 1

function init(args)
  if token then headers["Authorization"] = "Bearer " .. token end
  if authorization then headers["Authorization"] = authorization end
  if cookie then headers["Cookie"] = cookie end
  if #bodies > 0 then
    headers["Content-Type"] = content_type
    if once then
      next_body = (index or 0) + 1
    else
      next_body = (offset or 0) % #bodies + 1
    end
  end
end

function request()
  if #bodies > 0 then
    local line = math.min(next_body, #bodies)
    local body = bodies[line]
    if #proofs > 0 then headers["DPoP"] = proofs[line] end
    if once then
      next_body = next_body + threads
    else
      next_body = next_body % #bodies + 1
    end
    return wrk.format(method, nil, headers, body)
  end
  return wrk.format(method, nil, headers, nil)
end

if once then
  -- A thread whose share is spent stops rather than send spent bodies for the rest of the
  -- run: their errors would cost the server CPU that no successful request accounts for.
  function response(status, headers, body)
    if next_body > #bodies then wrk.thread:stop() end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, '
      .. '"write_errors": %d, "status_errors": %d, "timeouts": %d, "p50_us": %d, '
      .. '"p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
    latency.max))
end
