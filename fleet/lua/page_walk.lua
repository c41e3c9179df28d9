-- Plan "walk": one page found by walking the sort index in order and keeping the
-- ids that are in every filter set (plain sets only: SMISMEMBER), with nothing
-- materialised. a.budget: the most candidates to look at; returns "replan" past
-- it (the filters match fewer devices than the estimate said).
-- Returns {total, up, down, ids, device JSONs}.
read_counts()
local limit = last - first + 1
local size = redis.call('ZCARD', KEYS[5])
local picked, skipped, rank = {}, 0, 0
local chunk = 256
while #picked < limit and rank < size do
  if rank >= a.budget then return 'replan' end
  local ids
  if descending then
    ids = redis.call('ZRANGE', KEYS[5], rank, rank + chunk - 1, 'REV')
  else
    ids = redis.call('ZRANGE', KEYS[5], rank, rank + chunk - 1)
  end
  -- One SMISMEMBER per filter per chunk (not one call per device): the
  -- survivors of each filter go on to the next.
  for f = FILTERS, #KEYS do
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
if not total then
  total, up, down = cell_counts()
  if not total then count_sets() end
  keep_counts()
end
return {total, up, down, picked, rows_of(KEYS[3], picked)}
