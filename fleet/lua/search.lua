-- Text search: the ids of the devices whose search text contains the needle.
-- KEYS: 1 destination set, 2.. search-text buckets. a.needle: lower case, no tab,
-- newline or unit separator; a.ttl: lifetime in ms.
-- A bucket holds lines "text<TAB>id<LF>". Because the needle holds neither TAB nor
-- LF, a match lies wholly inside one text or one id; a match inside an id is
-- recognised (the next TAB comes after the next LF, or there is none) and skipped.
-- The destination always gets the member "0" (no device has id 0), so an empty
-- answer is cached too instead of rescanning on every keystroke.
local a = cjson.decode(ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local needle = a.needle
local batch = {'0'}
local found = 0
for i = 2, #KEYS do
  local text = redis.call('GET', KEYS[i])
  if text then
    local pos = 1
    while true do
      local s = string.find(text, needle, pos, true)
      if not s then break end
      local nl = string.find(text, '\n', s, true)
      if not nl then break end
      local tab = string.find(text, '\t', s, true)
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
redis.call('PEXPIRE', KEYS[1], a.ttl)
return found
