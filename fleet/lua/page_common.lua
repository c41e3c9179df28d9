-- Shared by the page scripts (fleet.store.scripts puts it before each): the named
-- arguments, and what every page plan does with them.
-- a.first, a.last: the page's first and last rank; a.descending: a boolean;
-- a.status: "up" or "down" when a status filter fixes the counts, else "".
local a = cjson.decode(ARGV[1])
local first, last, descending = a.first, a.last, a.descending

local function rows_of(hash, ids)
  if #ids == 0 then return {} end
  return redis.call('HMGET', hash, unpack(ids))
end

-- Up and Down of `n` devices that all have the status a.status.
local function fixed(n)
  if a.status == 'up' then return n, 0 end
  return 0, n
end

local function page_of(index)
  if descending then return redis.call('ZRANGE', index, first, last, 'REV') end
  return redis.call('ZRANGE', index, first, last)
end
