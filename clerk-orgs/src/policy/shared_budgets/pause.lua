-- Clerk answered 429: close one budget for every process until `until`, then let it resume at
-- its steady rate (one request at `until`, then one per T) instead of bursting into the wall.
--
-- KEYS[1]: the budget's `:tat` key; KEYS[2]: its `:paused` key.
-- ARGV[1]: now in microseconds, or '' for the Redis server's TIME.
-- ARGV[2]: the wait (Retry-After, already capped by the client), ARGV[3]: T, ARGV[4]: the burst
-- offset (T * requests); all in microseconds.
--
-- Returns the pause left in milliseconds (a longer pause already set by another process wins).
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
end
local wait = tonumber(ARGV[2])
local interval = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
local until_us = now + wait

-- A TAT of until + burst - T admits exactly one request at `until`, then one per T. A TAT
-- already further out (the budget is booked past the pause) is kept.
local tat = until_us + burst - interval
local stored = tonumber(redis.call('GET', KEYS[1]) or '')
if stored and stored > tat then
  tat = stored
end
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.max(1, math.ceil((tat - now) / 1000)))

local paused = tonumber(redis.call('GET', KEYS[2]) or '')
if paused and paused > until_us then
  until_us = paused
end
local left_ms = math.max(1, math.ceil((until_us - now) / 1000))
redis.call('SET', KEYS[2], string.format('%d', until_us), 'PX', left_ms)
return left_ms
