-- Post grams for blocks (an in-place write's new search texts), keeping each posting
-- in its format (fleet/store/search_index.py): a list stays sorted and becomes a
-- bitmap once that is shorter.
-- KEYS: 1 the gram index. a.blocks: the generation's text blocks; a.add: gram (hex)
-- -> the block numbers to post it for.
local a = cjson.decode(ARGV[1])
local band, bor, lshift, rshift = bit.band, bit.bor, bit.lshift, bit.rshift
local byte, char = string.byte, string.char
local bitmap_size = math.ceil(a.blocks / 8)

local function unhex(h)
  return (string.gsub(h, '..', function(c) return char(tonumber(c, 16)) end))
end

local function to_bitmap(p)
  local bytes = {}
  for i = 1, bitmap_size do bytes[i] = 0 end
  for at = 2, #p - 1, 2 do
    local hi_byte, lo_byte = byte(p, at, at + 1)
    local b = hi_byte * 256 + lo_byte
    bytes[rshift(b, 3) + 1] = bor(bytes[rshift(b, 3) + 1], lshift(1, band(b, 7)))
  end
  local parts = {'B'}
  for i = 1, bitmap_size, 4000 do
    parts[#parts + 1] = char(unpack(bytes, i, math.min(i + 3999, bitmap_size)))
  end
  return table.concat(parts)
end

local function with_block(p, b)
  if byte(p, 1) == 66 then
    local at = 2 + rshift(b, 3)
    local x = byte(p, at)
    return string.sub(p, 1, at - 1) .. char(bor(x, lshift(1, band(b, 7)))) .. string.sub(p, at + 1)
  end
  local lo, hi = 0, (#p - 1) / 2 -- first entry not below b
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    local hi_byte, lo_byte = byte(p, 2 + 2 * mid, 3 + 2 * mid)
    if hi_byte * 256 + lo_byte < b then lo = mid + 1 else hi = mid end
  end
  local at = 2 + 2 * lo
  if at < #p then
    local hi_byte, lo_byte = byte(p, at, at + 1)
    if hi_byte * 256 + lo_byte == b then return p end
  end
  p = string.sub(p, 1, at - 1) .. char(rshift(b, 8), band(b, 255)) .. string.sub(p, at)
  if #p - 1 >= bitmap_size then return to_bitmap(p) end
  return p
end

for hex, blocks in pairs(a.add) do
  local g = unhex(hex)
  local p = redis.call('HGET', KEYS[1], g) or 'L'
  for _, b in ipairs(blocks) do p = with_block(p, b) end
  redis.call('HSET', KEYS[1], g, p)
end
return 0
