-- Takes one request from every budget in KEYS, all or none: GCRA as in go-redis/redis_rate.
--
-- KEYS: per budget, its `:tat` key then its `:paused` key.
-- ARGV[1]: now in microseconds, or '' for the Redis server's TIME (one clock for every host).
-- ARGV[2k], ARGV[2k+1]: budget k's emission interval T and burst offset (T * requests), in µs.
--
-- Returns {1, 0, 0, 0} when every budget allowed the request (all of them committed), else
-- {0, k, wait_us, paused} for the budget k that needs the longest wait (nothing committed),
-- paused = 1 when a 429 seen by some process is what closes it.
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
end

local budgets = #KEYS / 2
local new_tats = {}
local refused, longest = 0, 0
for k = 1, budgets do
  local interval = tonumber(ARGV[2 * k])
  local burst = tonumber(ARGV[2 * k + 1])
  local tat = now
  local stored = redis.call('GET', KEYS[2 * k - 1])
  if stored then
    tat = math.max(tonumber(stored) or now, now)
  end
  local new_tat = tat + interval
  local wait = new_tat - burst - now
  if wait > 0 then
    if wait > longest then
      refused, longest = k, wait
    end
  end
  new_tats[k] = new_tat
end

if refused > 0 then
  local paused = 0
  if redis.call('EXISTS', KEYS[2 * refused]) == 1 then
    paused = 1
  end
  return {0, refused, math.ceil(longest), paused}
end

for k = 1, budgets do
  -- Past its TAT a budget is full again, which is what a missing key means: let it expire then.
  local ttl = math.max(1, math.ceil((new_tats[k] - now) / 1000))
  redis.call('SET', KEYS[2 * k - 1], string.format('%d', new_tats[k]), 'PX', ttl)
end
return {1, 0, 0, 0}
