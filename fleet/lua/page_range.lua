-- Plan "range": one status in name order, a score range [a.low, a.high] of the status
-- index (in name order within a status), paged by rank: log n + page, nothing to
-- intersect. a.low is "-inf" or an inclusive bound, so the range starts at the rank
-- ZCOUNT gives for the scores below it.
-- KEYS: 1 status index, 2 device hash. Returns {total, up, down, ids, device JSONs}.
local index = KEYS[1]
local total = redis.call('ZCOUNT', index, a.low, a.high)
local up, down = fixed(total)
-- Not BYSCORE with LIMIT: that skips its offset one element at a time.
local stop = math.min(last, total - 1)
local below = 0
if a.low ~= '-inf' then below = redis.call('ZCOUNT', index, '-inf', '(' .. a.low) end
local ids
if first > stop then
  ids = {}
elseif descending then
  -- Reverse ranks count from the top: the scores above the range come first.
  local above = redis.call('ZCARD', index) - below - total
  ids = redis.call('ZRANGE', index, above + first, above + stop, 'REV')
else
  ids = redis.call('ZRANGE', index, below + first, below + stop)
end
return {total, up, down, ids, rows_of(KEYS[2], ids)}
