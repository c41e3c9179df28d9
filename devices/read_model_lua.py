"""The Lua scripts the read model runs inside Redis.

Scripts, because each of these must either be atomic (build a cached result and
its counts together, so no reader sees one without the other) or must touch many
values without a network round trip per value (the search scan). Key names come
in as KEYS from `devices.read_model`, which alone knows the layout.

ASSUMPTION: a single Redis (or a primary with replicas), not Redis Cluster: the
search scan reads many bucket keys in one script.
"""

# One page of a list query.
# KEYS: 1 result (a cached intersection, or the sort index itself), 2 its counts
#       hash, 3 device hash, 4 up set, 5 down set, 6 sort index, 7.. filter keys.
# ARGV: 1 mode: "0" page the sort index as is (no filter); "1" materialise the
#       intersection of sort index and filters into the result (once, kept for
#       ARGV[2] ms); "2" page a score range [ARGV[7], ARGV[8]] of the sort index
#       (one status of the status index, which is in name order within a status;
#       ARGV[7] is "-inf" or an inclusive bound, so the range starts at the rank
#       ZCOUNT gives for the scores below it, and is paged by rank: log n + page);
#       3 first rank, 4 last rank, 5 "1" for descending,
#       6 "up"/"down" when a status filter fixes the counts, else "".
# Returns {total, up, down, ids, device JSONs}.
PAGE = """
local mode, known = ARGV[1], ARGV[6]
local total, up, down
local function fixed(n)
  if known == 'up' then return n, 0 end
  return 0, n
end
if mode == '1' then
  local have = redis.call('HMGET', KEYS[2], 'total', 'up', 'down')
  -- Rebuild when the counts are gone, or when the result expired a moment before them.
  if (not have[1]) or (tonumber(have[1]) > 0 and redis.call('EXISTS', KEYS[1]) == 0) then
    local args = {'ZINTERSTORE', KEYS[1], #KEYS - 5}
    for i = 6, #KEYS do args[#args + 1] = KEYS[i] end
    -- The sort index gives the score; filters only decide membership.
    args[#args + 1] = 'WEIGHTS'
    args[#args + 1] = 1
    for i = 7, #KEYS do args[#args + 1] = 0 end
    total = redis.call(unpack(args))
    if known ~= '' then
      up, down = fixed(total)
    else
      -- Up and Down split the fleet; count the (usually far smaller) Down side.
      down = redis.call('ZINTERCARD', 2, KEYS[1], KEYS[5])
      up = total - down
    end
    redis.call('HSET', KEYS[2], 'total', total, 'up', up, 'down', down)
    redis.call('PEXPIRE', KEYS[2], ARGV[2])
    if total > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
  else
    total, up, down = tonumber(have[1]), tonumber(have[2]), tonumber(have[3])
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
  local first, last = tonumber(ARGV[3]), math.min(tonumber(ARGV[4]), total - 1)
  local below = 0
  if ARGV[7] ~= '-inf' then below = redis.call('ZCOUNT', KEYS[6], '-inf', '(' .. ARGV[7]) end
  if first > last then
    ids = {}
  elseif ARGV[5] == '1' then
    -- Reverse ranks count from the top: the scores above the range come first.
    local above = redis.call('ZCARD', KEYS[6]) - below - total
    ids = redis.call('ZRANGE', KEYS[6], above + first, above + last, 'REV')
  else
    ids = redis.call('ZRANGE', KEYS[6], below + first, below + last)
  end
elseif ARGV[5] == '1' then
  ids = redis.call('ZRANGE', KEYS[1], ARGV[3], ARGV[4], 'REV')
else
  ids = redis.call('ZRANGE', KEYS[1], ARGV[3], ARGV[4])
end
local rows = {}
if #ids > 0 then rows = redis.call('HMGET', KEYS[3], unpack(ids)) end
return {total, up, down, ids, rows}
"""

# One page of a filtered list found by walking the sort index in order and
# keeping the ids that are in every filter set: cost (offset + page) / share of
# the fleet that matches, however large the fleet, with nothing materialised.
# Declines (returns false) when materialising looks cheaper, or gives up after
# ARGV[4] candidates (filters matching fewer devices than they seemed to);
# the caller then materialises the intersection (PAGE mode "1").
# KEYS: 1 sort index, 2 device hash, 3 up set, 4 down set, 5 counts hash,
#       6 the materialised result PAGE would use, 7.. filter sets (plain sets only:
#       SMISMEMBER, SINTERCARD).
# ARGV: 1 offset, 2 page size, 3 "1" for descending, 4 candidate budget,
#       5 counts lifetime in ms, 6 "up"/"down" when a status filter fixes the counts.
# Counts are exact (SINTERCARD: no sorted result built) and kept like PAGE's.
SCAN_PAGE = """
local offset, limit, budget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
-- Already materialised (a deep page asked before): paging it is cheaper still.
if redis.call('EXISTS', KEYS[6]) == 1 then return false end
local size = redis.call('ZCARD', KEYS[1])
-- Estimate the walk (filters taken as independent) and compare it with what
-- materialising costs (about the smallest filter's size); walk only when cheaper,
-- and never further than that.
local share, smallest = 1.0, size
for f = 7, #KEYS do
  local n = redis.call('SCARD', KEYS[f])
  smallest = math.min(smallest, n)
  share = share * n / math.max(size, 1)
end
budget = math.min(budget, math.max(smallest, 2000))
if share == 0 or (offset + limit) / share > budget then return false end
local picked, skipped, rank = {}, 0, 0
local chunk = 256
while #picked < limit and rank < size do
  if rank >= budget then return false end
  local ids
  if ARGV[3] == '1' then
    ids = redis.call('ZRANGE', KEYS[1], rank, rank + chunk - 1, 'REV')
  else
    ids = redis.call('ZRANGE', KEYS[1], rank, rank + chunk - 1)
  end
  -- One SMISMEMBER per filter per chunk (not one call per device): the
  -- survivors of each filter go on to the next.
  for f = 7, #KEYS do
    if #ids == 0 then break end
    local flags = redis.call('SMISMEMBER', KEYS[f], unpack(ids))
    local kept = {}
    for i, id in ipairs(ids) do
      if flags[i] == 1 then kept[#kept + 1] = id end
    end
    ids = kept
  end
  for _, id in ipairs(ids) do
    if skipped < offset then
      skipped = skipped + 1
    else
      picked[#picked + 1] = id
      if #picked == limit then break end
    end
  end
  rank = rank + chunk
end
local have = redis.call('HMGET', KEYS[5], 'total', 'up', 'down')
local total, up, down
if have[1] then
  total, up, down = tonumber(have[1]), tonumber(have[2]), tonumber(have[3])
else
  local filters = {}
  for f = 7, #KEYS do filters[#filters + 1] = KEYS[f] end
  if #filters == 1 then
    total = redis.call('SCARD', filters[1])
  else
    total = redis.call('SINTERCARD', #filters, unpack(filters))
  end
  if ARGV[6] == 'up' then
    up, down = total, 0
  elseif ARGV[6] == 'down' then
    up, down = 0, total
  else
    -- Up and Down split the fleet; count the (usually far smaller) Down side.
    down = redis.call('SINTERCARD', #filters + 1, KEYS[4], unpack(filters))
    up = total - down
  end
  redis.call('HSET', KEYS[5], 'total', total, 'up', up, 'down', down)
  redis.call('PEXPIRE', KEYS[5], ARGV[5])
end
local rows = {}
if #picked > 0 then rows = redis.call('HMGET', KEYS[2], unpack(picked)) end
return {total, up, down, picked, rows}
"""

# A derived filter key, built once per snapshot version and kept a short while.
# KEYS: 1 destination, 2.. sources. ARGV: 1 "union" (of sets) or "since" (a score
# range of one sorted set, from ARGV[3] up), 2 lifetime in ms, 3 lower score.
DERIVE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if ARGV[1] == 'union' then
  local args = {'SUNIONSTORE', KEYS[1]}
  for i = 2, #KEYS do args[#args + 1] = KEYS[i] end
  redis.call(unpack(args))
else
  redis.call('ZRANGESTORE', KEYS[1], KEYS[2], ARGV[3], '+inf', 'BYSCORE')
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
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
