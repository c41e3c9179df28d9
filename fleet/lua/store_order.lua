-- One chunk of a built sort's index: the ids in order, scored by rank from a.start
-- (without an argument per device). The caller writes the chunks into a key of its own
-- and renames it into place when the last is in.
-- KEYS: 1 the index being built. a.ids: the ids, comma separated; a.start: the first
-- id's rank; a.ttl: lifetime in s.
local a = cjson.decode(ARGV[1])
local batch, rank = {}, a.start
for id in string.gmatch(a.ids, '[^,]+') do
  batch[#batch + 1] = rank
  batch[#batch + 1] = id
  rank = rank + 1
  if #batch >= 4000 then
    redis.call('ZADD', KEYS[1], unpack(batch))
    batch = {}
  end
end
if #batch > 0 then redis.call('ZADD', KEYS[1], unpack(batch)) end
redis.call('EXPIRE', KEYS[1], a.ttl)
return rank
