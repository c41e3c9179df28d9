"""The Lua scripts the read model runs inside Redis.

Scripts, because each of these must either be atomic (build a cached result and
its counts together, so no reader sees one without the other) or must touch many
values without a network round trip per value (the search scan). Key names come
in as KEYS from `devices.read_model`, which alone knows the layout.

ASSUMPTION: a single Redis (or a primary with replicas), not Redis Cluster: the
search scan reads many bucket keys in one script.
"""

# One page of a list query.
# KEYS: 1 result (a cached intersection, or the sort index itself when there is no
#       filter), 2 its counts hash, 3 device hash, 4 up set, 5 down set,
#       6 sort index, 7.. filter keys (sets or sorted sets of ids).
# ARGV: 1 "1" when the result must be materialised from sort index + filters,
#       2 result lifetime in ms, 3 first rank, 4 last rank, 5 "1" for descending.
# Returns {total, up, down, ids, device JSONs}.
PAGE = """
local total, up, down
if ARGV[1] == '1' then
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
    up = redis.call('ZINTERCARD', 2, KEYS[1], KEYS[4])
    down = redis.call('ZINTERCARD', 2, KEYS[1], KEYS[5])
    redis.call('HSET', KEYS[2], 'total', total, 'up', up, 'down', down)
    redis.call('PEXPIRE', KEYS[2], ARGV[2])
    if total > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
  else
    total, up, down = tonumber(have[1]), tonumber(have[2]), tonumber(have[3])
  end
else
  total = redis.call('ZCARD', KEYS[6])
  up = redis.call('SCARD', KEYS[4])
  down = redis.call('SCARD', KEYS[5])
end
local ids
if ARGV[5] == '1' then
  ids = redis.call('ZRANGE', KEYS[1], ARGV[3], ARGV[4], 'REV')
else
  ids = redis.call('ZRANGE', KEYS[1], ARGV[3], ARGV[4])
end
local rows = {}
if #ids > 0 then rows = redis.call('HMGET', KEYS[3], unpack(ids)) end
return {total, up, down, ids, rows}
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
