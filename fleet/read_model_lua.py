"""The Lua scripts the read model runs inside Redis.

Scripts, because each of these must either be atomic (build a cached result and
its counts together, so no reader sees one without the other) or must touch many
values without a network round trip per value (the search scan). Key names come
in as KEYS from `fleet.read_model`, which alone knows the layout.

ASSUMPTION: a single Redis (or a primary with replicas), not Redis Cluster: the
search scan reads many bucket keys in one script.
"""

# One page of a list query, in one round trip.
# KEYS: 1 result (a cached intersection, or the sort index itself), 2 its counts
#       hash, 3 device hash, 4 up set, 5 down set, 6 sort index, 7 cells hash
#       (see `cell_counts`), 8 status-change index, 9.. filter keys.
# ARGV: 1 mode: "0" page the sort index as is (no filter); "1" filtered: page the
#       cached intersection when there is one, else walk the sort index (see
#       `walk`) when ARGV[9] (a candidate budget) is above 0 and that looks
#       cheaper, else materialise the intersection of sort index and filters into
#       the result (once, kept for ARGV[2] ms); "2" page a score range
#       [ARGV[7], ARGV[8]] of the sort index (one status of the status index,
#       which is in name order within a status; ARGV[7] is "-inf" or an inclusive
#       bound, so the range starts at the rank ZCOUNT gives for the scores below
#       it, and is paged by rank: log n + page);
#       3 first rank, 4 last rank, 5 "1" for descending,
#       6 "up"/"down" when a status filter fixes the counts, else "";
#       10-12 which cells the filters select (see `cell_counts`);
#       13 the lower score of a changed-since window, else "": the window is then
#       the last filter key, derived here from the status-change index when it is
#       needed and missing (ZRANGESTORE, kept ARGV[2] ms like the result).
# Counts are exact and kept in the counts hash as long as the result.
# Returns {total, up, down, ids, device JSONs}.
PAGE = """
local mode, known = ARGV[1], ARGV[6]
local first, last = tonumber(ARGV[3]), tonumber(ARGV[4])
local descending = ARGV[5] == '1'
local total, up, down
local function fixed(n)
  if known == 'up' then return n, 0 end
  return 0, n
end
local function rows_of(ids)
  if #ids == 0 then return {} end
  return redis.call('HMGET', KEYS[3], unpack(ids))
end
-- The counts of filters on organization, status, type and pending only, summed
-- from the generation's cells (organization x type x pending x status) instead of
-- a set operation over the matching devices. ARGV 10: "" (the filters are not
-- only these: nil), "*" (any organization) or the organization ids, comma
-- separated; 11: "*" or the type id; 12: "1" (pending only) or "*".
-- nil too when the generation has no cells.
local function cell_counts()
  if ARGV[10] == '' then return nil end
  local flat = redis.call('HGETALL', KEYS[7])
  if #flat == 0 then return nil end
  local orgs
  if ARGV[10] ~= '*' then
    orgs = {}
    for o in string.gmatch(ARGV[10], '[^,]+') do orgs[o] = true end
  end
  local kind, pending = ARGV[11], ARGV[12]
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
  split(function() return redis.call('ZINTERCARD', 2, KEYS[1], KEYS[5]) end)
end
-- Exact counts without building a sorted result (SINTERCARD over the filters).
local function count_sets()
  local filters = {}
  for f = 9, #KEYS do filters[#filters + 1] = KEYS[f] end
  if #filters == 1 then
    total = redis.call('SCARD', filters[1])
  else
    total = redis.call('SINTERCARD', #filters, unpack(filters))
  end
  split(function() return redis.call('SINTERCARD', #filters + 1, KEYS[5], unpack(filters)) end)
end
local function keep_counts()
  redis.call('HSET', KEYS[2], 'total', total, 'up', up, 'down', down)
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end

-- One page found by walking the sort index in order and keeping the ids that are
-- in every filter set (plain sets only: SMISMEMBER): cost (offset + page) / share
-- of the fleet that matches, however large the fleet, with nothing materialised.
-- Returns nil when materialising looks cheaper, or after `budget` candidates
-- (filters matching fewer devices than they seemed to).
local function walk(budget)
  local size = redis.call('ZCARD', KEYS[6])
  -- Estimate the walk (filters taken as independent) and compare it with what
  -- materialising costs (about the smallest filter's size); walk only when
  -- cheaper, and never further than that.
  local share, smallest = 1.0, size
  for f = 9, #KEYS do
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
      ids = redis.call('ZRANGE', KEYS[6], rank, rank + chunk - 1, 'REV')
    else
      ids = redis.call('ZRANGE', KEYS[6], rank, rank + chunk - 1)
    end
    -- One SMISMEMBER per filter per chunk (not one call per device): the
    -- survivors of each filter go on to the next.
    for f = 9, #KEYS do
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

if mode == '1' then
  local have = redis.call('HMGET', KEYS[2], 'total', 'up', 'down')
  local built = redis.call('EXISTS', KEYS[1]) == 1
  if have[1] then total, up, down = tonumber(have[1]), tonumber(have[2]), tonumber(have[3]) end
  -- An empty intersection is not stored: its counts say so.
  if total == 0 then return {0, 0, 0, {}, {}} end
  if not built and tonumber(ARGV[9]) > 0 then
    local picked = walk(tonumber(ARGV[9]))
    if picked then
      if not total then
        total, up, down = cell_counts()
        if not total then count_sets() end
        keep_counts()
      end
      return {total, up, down, picked, rows_of(picked)}
    end
  end
  if not built then
    if ARGV[13] ~= '' and redis.call('EXISTS', KEYS[#KEYS]) == 0 then
      redis.call('ZRANGESTORE', KEYS[#KEYS], KEYS[8], ARGV[13], '+inf', 'BYSCORE')
      redis.call('PEXPIRE', KEYS[#KEYS], ARGV[2])
    end
    local args = {'ZINTERSTORE', KEYS[1], #KEYS - 7, KEYS[6]}
    for i = 9, #KEYS do args[#args + 1] = KEYS[i] end
    -- The sort index gives the score; filters only decide membership.
    args[#args + 1] = 'WEIGHTS'
    args[#args + 1] = 1
    for i = 9, #KEYS do args[#args + 1] = 0 end
    local stored = redis.call(unpack(args))
    if stored > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
    if not total then count_result(stored) end
    -- Refreshed with the result, so the counts never outlive it by much.
    keep_counts()
  elseif not total then
    -- The counts expired a moment before the result.
    count_result(redis.call('ZCARD', KEYS[1]))
    keep_counts()
  end
elseif mode == '2' then
  total = redis.call('ZCOUNT', KEYS[6], ARGV[7], ARGV[8])
  up, down = fixed(total)
else
  total = redis.call('ZCARD', KEYS[6])
  up = redis.call('SCARD', KEYS[4])
  down = redis.call('SCARD', KEYS[5])
end
local ids
if mode == '2' then
  -- Not BYSCORE with LIMIT: that skips its offset one element at a time.
  local stop = math.min(last, total - 1)
  local below = 0
  if ARGV[7] ~= '-inf' then below = redis.call('ZCOUNT', KEYS[6], '-inf', '(' .. ARGV[7]) end
  if first > stop then
    ids = {}
  elseif descending then
    -- Reverse ranks count from the top: the scores above the range come first.
    local above = redis.call('ZCARD', KEYS[6]) - below - total
    ids = redis.call('ZRANGE', KEYS[6], above + first, above + stop, 'REV')
  else
    ids = redis.call('ZRANGE', KEYS[6], below + first, below + stop)
  end
elseif descending then
  ids = redis.call('ZRANGE', KEYS[1], first, last, 'REV')
else
  ids = redis.call('ZRANGE', KEYS[1], first, last)
end
return {total, up, down, ids, rows_of(ids)}
"""

# The union of several organizations' sets (a tenant's scope), built once per
# snapshot version and kept a short while.
# KEYS: 1 destination, 2.. the organizations' sets. ARGV: 1 lifetime in ms.
UNION = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local args = {'SUNIONSTORE', KEYS[1]}
for i = 2, #KEYS do args[#args + 1] = KEYS[i] end
redis.call(unpack(args))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
"""

# Text search: the ids of the devices whose search text contains the needle.
# KEYS: 1 destination set, 2.. search-text buckets. ARGV: 1 needle (lower case, no
# tab, newline or unit separator), 2 lifetime in ms.
# A bucket holds lines "text<TAB>id<LF>". Because the needle holds neither TAB nor
# LF, a match lies wholly inside one text or one id; a match inside an id is
# recognised (the next TAB comes after the next LF, or there is none) and skipped.
# The destination always gets the member "0" (no device has id 0), so an empty
# answer is cached too instead of rescanning on every keystroke.
SEARCH = """
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local needle = ARGV[1]
local batch = {'0'}
local found = 0
for i = 2, #KEYS do
  local text = redis.call('GET', KEYS[i])
  if text then
    local pos = 1
    while true do
      local s = string.find(text, needle, pos, true)
      if not s then break end
      local nl = string.find(text, '\\n', s, true)
      if not nl then break end
      local tab = string.find(text, '\\t', s, true)
      if tab and tab < nl then
        batch[#batch + 1] = string.sub(text, tab + 1, nl - 1)
        found = found + 1
        if #batch >= 4000 then
          redis.call('SADD', KEYS[1], unpack(batch))
          batch = {}
        end
      end
      pos = nl + 1
    end
  end
end
if #batch > 0 then redis.call('SADD', KEYS[1], unpack(batch)) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return found
"""

# Some top-level fields of the devices in one HSCAN chunk of the device hash, for a
# built sort: it reads every device, and sending the whole rows to Python (and decoding
# them there) was most of its time.
# KEYS: 1 device hash. ARGV: 1 HSCAN cursor, 2 COUNT, 3.. field names.
# Returns {next cursor, id, value of each field, id, ...}; a value is its JSON text
# (a string with its quotes, a number, true/false or null), "null" when absent. Stored
# rows hold the top-level fields before "pending_settings" and "extra" (Device.to_cache's
# order), so only what comes before them is searched: the nested values never match.
ROW_FIELDS = """
local reply = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[2])
local out = {reply[1]}
local flat = reply[2]
for i = 1, #flat, 2 do
  local row = flat[i + 1]
  local limit = string.find(row, ',"pending_settings":', 1, true) or #row
  out[#out + 1] = flat[i]
  for f = 3, #ARGV do
    local value = 'null'
    local s, e = string.find(row, '"' .. ARGV[f] .. '":', 1, true)
    if s and s < limit then
      if string.byte(row, e + 1) == 34 then
        -- A string: up to the first quote not escaped (an even run of backslashes).
        local pos = e + 2
        while true do
          local q = string.find(row, '"', pos, true)
          if not q then break end
          local b = q - 1
          while string.byte(row, b) == 92 do b = b - 1 end
          if (q - 1 - b) % 2 == 0 then
            value = string.sub(row, e + 1, q)
            break
          end
          pos = q + 1
        end
      else
        value = string.match(row, '^[^,}]*', e + 1)
      end
    end
    out[#out + 1] = value
  end
end
return out
"""

# A built sort's index, whole: the ids in order, scored by rank, written in one script
# so no reader pages half of it (and without packing an argument per device in Python).
# KEYS: 1 the index. ARGV: 1 the ids in order, comma separated; 2 lifetime in s.
STORE_ORDER = """
redis.call('DEL', KEYS[1])
local batch, rank = {}, 0
for id in string.gmatch(ARGV[1], '[^,]+') do
  batch[#batch + 1] = rank
  batch[#batch + 1] = id
  rank = rank + 1
  if #batch >= 4000 then
    redis.call('ZADD', KEYS[1], unpack(batch))
    batch = {}
  end
end
if #batch > 0 then redis.call('ZADD', KEYS[1], unpack(batch)) end
if rank > 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return rank
"""
