-- Some top-level fields of the devices in one HSCAN chunk of the device hash, for a
-- built sort: it reads every device, and decoding whole rows in Python would be most
-- of its time.
-- KEYS: 1 device hash. a.cursor: the HSCAN cursor (a string: it may exceed a double's
-- exact range); a.count: the COUNT hint; a.fields: the field names.
-- Returns {next cursor, id, value of each field, id, ...}; a value is its JSON text
-- (a string with its quotes, a number, true/false or null), "null" when absent. Stored
-- rows hold the top-level fields before "pending_settings" and "extra" (Device.to_cache's
-- order), so only what comes before them is searched: the nested values never match.
local a = cjson.decode(ARGV[1])
local reply = redis.call('HSCAN', KEYS[1], a.cursor, 'COUNT', a.count)
local out = {reply[1]}
local flat = reply[2]
for i = 1, #flat, 2 do
  local row = flat[i + 1]
  local limit = string.find(row, ',"pending_settings":', 1, true) or #row
  out[#out + 1] = flat[i]
  for _, field in ipairs(a.fields) do
    local value = 'null'
    local s, e = string.find(row, '"' .. field .. '":', 1, true)
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
