-- A built sort's index, whole: the ids in order, scored by rank, written in one script
-- so no reader pages half of it (and without an argument per device).
-- KEYS: 1 the index. a.ids: the ids in order, comma separated; a.ttl: lifetime in s.
local a = cjson.decode(ARGV[1])
redis.call('DEL', KEYS[1])
local batch, rank = {}, 0
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
if rank > 0 then redis.call('EXPIRE', KEYS[1], a.ttl) end
return rank
