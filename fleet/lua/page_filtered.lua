-- Plan "filtered": page the cached intersection of the sort index and the filters
-- when there is one; else walk the sort index (see `walk`) when a.walk (a candidate
-- budget) is above 0 and that looks cheaper; else materialise the intersection into
-- the result (once, kept a.ttl ms). Which of the three depends on what Redis holds
-- now, so it is decided here, in the same atomic step.
-- KEYS: 1 result, 2 its counts hash, 3 device hash, 4 down set, 5 sort index,
--       6 cells hash (see `cell_counts`), 7 status-change index, 8.. filter keys.
-- a.ttl: lifetime of what is cached, in ms; a.cells: which cells the filters select
-- (see `cell_counts`), or false; a.since: the lower score of a changed-since window,
-- else "": the window is then the last filter key, derived here from the
-- status-change index when it is needed and missing (ZRANGESTORE, kept a.ttl ms).
-- Counts are exact and kept in the counts hash as long as the result.
-- Returns {total, up, down, ids, device JSONs}.
local FILTERS = 8
local known = a.status
local total, up, down

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

-- One page found by walking the sort index in order and keeping the ids that are
-- in every filter set (plain sets only: SMISMEMBER): cost (offset + page) / share
-- of the fleet that matches, however large the fleet, with nothing materialised.
-- Returns nil when materialising looks cheaper, or after `budget` candidates
-- (filters matching fewer devices than they seemed to).
local function walk(budget)
  local size = redis.call('ZCARD', KEYS[5])
  -- Estimate the walk (filters taken as independent) and compare it with what
  -- materialising costs (about the smallest filter's size); walk only when
  -- cheaper, and never further than that.
  local share, smallest = 1.0, size
  for f = FILTERS, #KEYS do
    local n = redis.call('SCARD', KEYS[f])
    smallest = math.min(smallest, n)
    share = share * n / math.max(size, 1)
  end
  budget = math.min(budget, math.max(smallest, 2000))
  local limit = last - first + 1
  if share == 0 or (first + limit) / share > budget then return nil end
  local picked, skipped, rank = {}, 0, 0
  local chunk = 256
  while #picked < limit and rank < size do
    if rank >= budget then return nil end
    local ids
    if descending then
      ids = redis.call('ZRANGE', KEYS[5], rank, rank + chunk - 1, 'REV')
    else
      ids = redis.call('ZRANGE', KEYS[5], rank, rank + chunk - 1)
    end
    -- One SMISMEMBER per filter per chunk (not one call per device): the
    -- survivors of each filter go on to the next.
    for f = FILTERS, #KEYS do
      if #ids == 0 then break end
      local flags = redis.call('SMISMEMBER', KEYS[f], unpack(ids))
      local kept = {}
      for i, id in ipairs(ids) do
        if flags[i] == 1 then kept[#kept + 1] = id end
      end
      ids = kept
    end
    for _, id in ipairs(ids) do
      if skipped < first then
        skipped = skipped + 1
      else
        picked[#picked + 1] = id
        if #picked == limit then break end
      end
    end
    rank = rank + chunk
  end
  return picked
end

local have = redis.call('HMGET', KEYS[2], 'total', 'up', 'down')
local built = redis.call('EXISTS', KEYS[1]) == 1
if have[1] then total, up, down = tonumber(have[1]), tonumber(have[2]), tonumber(have[3]) end
-- An empty intersection is not stored: its counts say so.
if total == 0 then return {0, 0, 0, {}, {}} end
if not built and a.walk > 0 then
  local picked = walk(a.walk)
  if picked then
    if not total then
      total, up, down = cell_counts()
      if not total then count_sets() end
      keep_counts()
    end
    return {total, up, down, picked, rows_of(KEYS[3], picked)}
  end
end
if not built then
  if a.since ~= '' and redis.call('EXISTS', KEYS[#KEYS]) == 0 then
    redis.call('ZRANGESTORE', KEYS[#KEYS], KEYS[7], a.since, '+inf', 'BYSCORE')
    redis.call('PEXPIRE', KEYS[#KEYS], a.ttl)
  end
  local args = {'ZINTERSTORE', KEYS[1], #KEYS - FILTERS + 2, KEYS[5]}
  for i = FILTERS, #KEYS do args[#args + 1] = KEYS[i] end
  -- The sort index gives the score; filters only decide membership.
  args[#args + 1] = 'WEIGHTS'
  args[#args + 1] = 1
  for i = FILTERS, #KEYS do args[#args + 1] = 0 end
  local stored = redis.call(unpack(args))
  if stored > 0 then redis.call('PEXPIRE', KEYS[1], a.ttl) end
  if not total then count_result(stored) end
  -- Refreshed with the result, so the counts never outlive it by much.
  keep_counts()
elseif not total then
  -- The counts expired a moment before the result.
  count_result(redis.call('ZCARD', KEYS[1]))
  keep_counts()
end
local ids = page_of(KEYS[1])
return {total, up, down, ids, rows_of(KEYS[3], ids)}
