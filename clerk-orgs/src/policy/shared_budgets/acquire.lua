-- Takes one request from every budget in KEYS, all or none: a sliding-window log per budget,
-- the rule of the in-process budgets (a request is admitted only if fewer than `requests` were
-- admitted in the window before it, so no window of Clerk's, however aligned, sees more).
--
-- KEYS: per budget, its `:log` key (a sorted set of admission times) then its `:paused` key.
-- ARGV[1]: now in microseconds, or '' for the Redis server's TIME (one clock for every host).
-- ARGV[2]: a token unique to this call, the member it adds to each log.
-- ARGV[2k+1], ARGV[2k+2]: budget k's window in µs and its number of requests.
--
-- Returns {1, 0, 0, 0} when every budget allowed the request (all of them logged it), else
-- {0, k, wait_us, paused} for the budget k that needs the longest wait (nothing logged),
-- paused = 1 when a 429 seen by some process is what closes it.
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
end

local budgets = #KEYS / 2
local refused, longest, refused_paused = 0, 0, 0
for k = 1, budgets do
  local log, paused_key = KEYS[2 * k - 1], KEYS[2 * k]
  local window = tonumber(ARGV[2 * k + 1])
  local requests = tonumber(ARGV[2 * k + 2])
  local wait, paused = 0, 0
  local until_us = tonumber(redis.call('GET', paused_key) or '')
  if until_us and until_us > now then
    wait, paused = until_us - now, 1
  else
    -- An admission at t counts while t + window > now, as in the in-process log.
    redis.call('ZREMRANGEBYSCORE', log, '-inf', now - window)
    local count = redis.call('ZCARD', log)
    if count >= requests then
      -- The request waits for the admission whose leaving brings the count under the limit.
      local leaving = redis.call('ZRANGE', log, count - requests, count - requests, 'WITHSCORES')
      wait = math.max(1, tonumber(leaving[2]) + window - now)
    end
  end
  if wait > longest then
    refused, longest, refused_paused = k, wait, paused
  end
end

if refused > 0 then
  return {0, refused, math.ceil(longest), refused_paused}
end

for k = 1, budgets do
  local log = KEYS[2 * k - 1]
  local window = tonumber(ARGV[2 * k + 1])
  redis.call('ZADD', log, now, ARGV[2])
  -- Once the window has passed, the log holds nothing that counts: let it expire then.
  redis.call('PEXPIRE', log, math.max(1, math.ceil(window / 1000)))
end
return {1, 0, 0, 0}
