-- Text search: the ids of the devices whose search text contains the needle.
-- KEYS: 1 destination set, 2 the gram index (hash gram -> posting), 3 the number of
-- text blocks (absent: a generation from before the index, LEGACY_BLOCKS and no
-- grams). a.needle: lower case, no tab, newline or unit separator; a.ttl: lifetime
-- in ms; a.texts: the text blocks' key prefix (block b is a.texts .. b);
-- a.legacy_blocks. Postings: fleet/store/search_index.py.
-- Candidate blocks are those holding every trigram of the needle (all blocks for a
-- needle shorter than a trigram, or without an index); each is verified by the
-- plain substring match of its text, so the answer is the scan's. A block holds
-- lines "text<TAB>id<LF>": because the needle holds neither TAB nor LF, a match lies
-- wholly inside one text or one id; a match inside an id is recognised (the next
-- TAB comes after the next LF, or there is none) and skipped.
-- The destination always gets the member "0" (no device has id 0), so an empty
-- answer is cached too instead of searching again on every keystroke.
local a = cjson.decode(ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local needle = a.needle
local blocks = tonumber(redis.call('GET', KEYS[3]) or a.legacy_blocks)
local band, lshift, rshift = bit.band, bit.lshift, bit.rshift
local byte = string.byte

-- Is block b in posting p?
local function holds(p, b)
  if byte(p, 1) == 66 then -- "B": bitmap
    local x = byte(p, 2 + rshift(b, 3))
    return x ~= nil and band(x, lshift(1, band(b, 7))) ~= 0
  end
  local lo, hi = 0, (#p - 1) / 2 - 1 -- "L": sorted two-byte numbers
  while lo <= hi do
    local mid = math.floor((lo + hi) / 2)
    local hi_byte, lo_byte = byte(p, 2 + 2 * mid, 3 + 2 * mid)
    local v = hi_byte * 256 + lo_byte
    if v == b then return true end
    if v < b then lo = mid + 1 else hi = mid - 1 end
  end
  return false
end

-- The candidate blocks, ascending; nil: every block.
local function candidates()
  if #needle < 3 or redis.call('EXISTS', KEYS[2]) == 0 then return nil end
  local seen, grams = {}, {}
  for i = 1, #needle - 2 do
    local g = string.sub(needle, i, i + 2)
    if not seen[g] then seen[g] = true; grams[#grams + 1] = g end
  end
  local postings = redis.call('HMGET', KEYS[2], unpack(grams))
  local base, others = nil, {}
  for _, p in ipairs(postings) do
    if not p then return {} end -- a gram no text holds
    if byte(p, 1) == 76 and (base == nil or byte(base, 1) == 66 or #p < #base) then
      if base then others[#others + 1] = base end
      base = p
    elseif base == nil then
      base = p
    else
      others[#others + 1] = p
    end
  end
  -- Walk the base posting (the shortest list, else a bitmap) and keep the blocks
  -- every other posting holds.
  local found = {}
  local function keep(b)
    for _, p in ipairs(others) do
      if not holds(p, b) then return end
    end
    found[#found + 1] = b
  end
  if byte(base, 1) == 76 then
    for at = 2, #base - 1, 2 do
      local hi_byte, lo_byte = byte(base, at, at + 1)
      keep(hi_byte * 256 + lo_byte)
    end
  else
    for at = 2, #base do
      local x = byte(base, at)
      if x ~= 0 then
        for bitno = 0, 7 do
          if band(x, lshift(1, bitno)) ~= 0 then keep((at - 2) * 8 + bitno) end
        end
      end
    end
  end
  return found
end

local batch = {'0'}
local found = 0
local function scan(b)
  local text = redis.call('GET', a.texts .. b)
  if not text then return end
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

local chosen = candidates()
if chosen then
  for _, b in ipairs(chosen) do scan(b) end
else
  for b = 0, blocks - 1 do scan(b) end
end
if #batch > 0 then redis.call('SADD', KEYS[1], unpack(batch)) end
redis.call('PEXPIRE', KEYS[1], a.ttl)
return found
