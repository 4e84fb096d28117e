-- Clerk answered 429: close one budget for every process until `until` (its log is left as it
-- is, as the in-process budgets do).
--
-- KEYS[1]: the budget's `:paused` key.
-- ARGV[1]: now in microseconds, or '' for the Redis server's TIME.
-- ARGV[2]: the wait (Retry-After, already capped by the client), in microseconds.
--
-- Returns the pause left in milliseconds (a longer pause already set by another process wins).
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
end
local until_us = now + tonumber(ARGV[2])

local paused = tonumber(redis.call('GET', KEYS[1]) or '')
if paused and paused > until_us then
  until_us = paused
end
local left_ms = math.max(1, math.ceil((until_us - now) / 1000))
redis.call('SET', KEYS[1], string.format('%d', until_us), 'PX', left_ms)
return left_ms
