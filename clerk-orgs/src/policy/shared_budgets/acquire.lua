-- Takes one request from every budget in KEYS, all or none: a sliding-window log per budget,
-- the rule of the in-process budgets (a request is admitted only if fewer than `requests` were
-- admitted in the span before it, the span being the window plus the headroom, so no window of
-- Clerk's, however aligned, sees more even when requests take different times to arrive).
-- Also keeps, per budget, which processes asked for it lately: the fleet whose share a process
-- keeps to when it cannot reach Redis.
--
-- KEYS: per budget, its `:log` key (a sorted set of admission times), its `:paused` key and its
--   `:fleet` key (a sorted set of process ids, scored by when each last asked).
-- ARGV[1]: now in microseconds, or '' for the Redis server's TIME (one clock for every host).
-- ARGV[2]: a token unique to this call, the member it adds to each log.
-- ARGV[3]: the calling process's id, its member in each fleet set.
-- ARGV[3k+1], ARGV[3k+2], ARGV[3k+3]: budget k's span (window + headroom) in µs, its number of
--   requests, and how long (µs) a process that asked counts in its fleet.
--
-- Returns {1, 0, 0, 0, ...} when every budget allowed the request (all of them logged it), else
-- {0, k, wait_us, paused, ...} for the budget k that needs the longest wait (nothing logged),
-- paused = 1 when a 429 seen by some process is what closes it; then, for each budget in order,
-- the admissions in its log within the span (this one included) and its fleet (the caller
-- included).
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
end
local process = ARGV[3]

local budgets = #KEYS / 3
local refused, longest, refused_paused = 0, 0, 0
local logged, fleet = {}, {}
for k = 1, budgets do
  local log, paused_key, fleet_key = KEYS[3 * k - 2], KEYS[3 * k - 1], KEYS[3 * k]
  local span = tonumber(ARGV[3 * k + 1])
  local requests = tonumber(ARGV[3 * k + 2])
  local memory = tonumber(ARGV[3 * k + 3])
  -- An admission at t counts while t + span > now, as in the in-process log.
  redis.call('ZREMRANGEBYSCORE', log, '-inf', now - span)
  local count = redis.call('ZCARD', log)
  -- Whoever asks is in the fleet, admitted or not.
  redis.call('ZREMRANGEBYSCORE', fleet_key, '-inf', now - memory)
  redis.call('ZADD', fleet_key, now, process)
  redis.call('PEXPIRE', fleet_key, math.max(1, math.ceil(memory / 1000)))
  logged[k], fleet[k] = count, redis.call('ZCARD', fleet_key)
  local wait, paused = 0, 0
  local until_us = tonumber(redis.call('GET', paused_key) or '')
  if until_us and until_us > now then
    wait, paused = until_us - now, 1
  elseif count >= requests then
    -- The request waits for the admission whose leaving brings the count under the limit.
    local leaving = redis.call('ZRANGE', log, count - requests, count - requests, 'WITHSCORES')
    wait = math.max(1, tonumber(leaving[2]) + span - now)
  end
  if wait > longest then
    refused, longest, refused_paused = k, wait, paused
  end
end

local reply
if refused > 0 then
  reply = {0, refused, math.ceil(longest), refused_paused}
else
  for k = 1, budgets do
    local log = KEYS[3 * k - 2]
    redis.call('ZADD', log, now, ARGV[2])
    -- Once the span has passed, nothing in the log counts: let it expire then.
    redis.call('PEXPIRE', log, math.max(1, math.ceil(tonumber(ARGV[3 * k + 1]) / 1000)))
    logged[k] = logged[k] + 1
  end
  reply = {1, 0, 0, 0}
end
for k = 1, budgets do
  reply[#reply + 1] = logged[k]
  reply[#reply + 1] = fleet[k]
end
return reply
