-- The union of several organizations' sets (a tenant's scope), built once per
-- snapshot version and kept a short while.
-- KEYS: 1 destination, 2.. the organizations' sets. a.ttl: lifetime in ms.
local a = cjson.decode(ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local args = {'SUNIONSTORE', KEYS[1]}
for i = 2, #KEYS do args[#args + 1] = KEYS[i] end
redis.call(unpack(args))
redis.call('PEXPIRE', KEYS[1], a.ttl)
return 1
