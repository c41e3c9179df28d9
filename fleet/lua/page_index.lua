-- Plan "index": no filter, so the page is a rank range of the sort index itself.
-- KEYS: 1 sort index, 2 device hash, 3 up set, 4 down set.
-- Returns {total, up, down, ids, device JSONs}.
local total = redis.call('ZCARD', KEYS[1])
local up = redis.call('SCARD', KEYS[3])
local down = redis.call('SCARD', KEYS[4])
local ids = page_of(KEYS[1])
return {total, up, down, ids, rows_of(KEYS[2], ids)}
