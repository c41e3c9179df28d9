-- Shared by the filtered page scripts (page_cached, page_walk, page_materialise),
-- after page_common: their keys, and the exact counts they keep with a result.
-- KEYS: 1 result, 2 its counts hash, 3 device hash, 4 down set, 5 sort index,
--       6 cells hash (see `cell_counts`), 7 status-change index, 8.. filter keys.
-- a.ttl: lifetime of what is cached, in ms; a.cells: which cells the filters select
-- (see `cell_counts`), or false.
-- Counts are exact and kept in the counts hash as long as the result.
local FILTERS = 8
local known = a.status
local total, up, down

-- The counts kept with the result, if they are still there (else total stays nil).
local function read_counts()
  local have = redis.call('HMGET', KEYS[2], 'total', 'up', 'down')
  if have[1] then total, up, down = tonumber(have[1]), tonumber(have[2]), tonumber(have[3]) end
end

-- The counts of filters on organization, status, type and pending only, summed
-- from the generation's cells (organization x type x pending x status) instead of
-- a set operation over the matching devices. a.cells.orgs: "*" (any organization)
-- or a list of organization ids; a.cells.type: "*" or the type id; a.cells.pending:
-- "1" (pending only) or "*". nil when the filters are not only these, or the
-- generation has no cells.
local function cell_counts()
  local c = a.cells
  if not c then return nil end
  local flat = redis.call('HGETALL', KEYS[6])
  if #flat == 0 then return nil end
  local orgs
  if c.orgs ~= '*' then
    orgs = {}
    for _, o in ipairs(c.orgs) do orgs[o] = true end
  end
  local kind, pending = c.type, c.pending
  local u, d = 0, 0
  for i = 1, #flat, 2 do
    local o, t, p, s = string.match(flat[i], '^([^:]*):([^:]*):([01]):([ud])$')
    if s and (not orgs or orgs[o]) and (kind == '*' or t == kind)
        and (pending == '*' or p == '1') then
      if s == 'u' then u = u + tonumber(flat[i + 1]) else d = d + tonumber(flat[i + 1]) end
    end
  end
  if known == 'up' then d = 0 elseif known == 'down' then u = 0 end
  return u + d, u, d
end
-- Up and Down of `total`: fixed by a status filter, else Up and Down split the
-- fleet and `count_down()` counts the (usually far smaller) Down side.
local function split(count_down)
  if known ~= '' then
    up, down = fixed(total)
  else
    down = count_down()
    up = total - down
  end
end
local function count_result(n)
  total, up, down = cell_counts()
  if total then return end
  total = n
  split(function() return redis.call('ZINTERCARD', 2, KEYS[1], KEYS[4]) end)
end
-- Exact counts without building a sorted result (SINTERCARD over the filters).
local function count_sets()
  local filters = {}
  for f = FILTERS, #KEYS do filters[#filters + 1] = KEYS[f] end
  if #filters == 1 then
    total = redis.call('SCARD', filters[1])
  else
    total = redis.call('SINTERCARD', #filters, unpack(filters))
  end
  split(function() return redis.call('SINTERCARD', #filters + 1, KEYS[4], unpack(filters)) end)
end
local function keep_counts()
  redis.call('HSET', KEYS[2], 'total', total, 'up', up, 'down', down)
  redis.call('PEXPIRE', KEYS[2], a.ttl)
end

-- A page of the result, which is there: its counts are made again when they
-- expired a moment before it.
local function page_result()
  if not total then
    count_result(redis.call('ZCARD', KEYS[1]))
    keep_counts()
  end
  local ids = page_of(KEYS[1])
  return {total, up, down, ids, rows_of(KEYS[3], ids)}
end
