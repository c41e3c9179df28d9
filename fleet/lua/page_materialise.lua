-- Plan "materialise": store the intersection of the sort index and the filters in
-- the result (kept a.ttl ms), then page it; later pages and refreshes reuse it.
-- a.since: the lower score of a changed-since window, else "": the window is then
-- the last filter key, derived here from the status-change index when it is
-- missing (ZRANGESTORE, kept a.ttl ms).
-- Returns {total, up, down, ids, device JSONs}.
read_counts()
-- An empty intersection is not stored: its counts say so.
if total == 0 then return {0, 0, 0, {}, {}} end
-- A concurrent query may have built the result since the read: it is paged as is.
if redis.call('EXISTS', KEYS[1]) == 0 then
  if a.since ~= '' and redis.call('EXISTS', KEYS[#KEYS]) == 0 then
    redis.call('ZRANGESTORE', KEYS[#KEYS], KEYS[7], a.since, '+inf', 'BYSCORE')
    redis.call('PEXPIRE', KEYS[#KEYS], a.ttl)
  end
  local args = {'ZINTERSTORE', KEYS[1], #KEYS - FILTERS + 2, KEYS[5]}
  for i = FILTERS, #KEYS do args[#args + 1] = KEYS[i] end
  -- The sort index gives the score; filters only decide membership.
  args[#args + 1] = 'WEIGHTS'
  args[#args + 1] = 1
  for i = FILTERS, #KEYS do args[#args + 1] = 0 end
  local stored = redis.call(unpack(args))
  if stored > 0 then redis.call('PEXPIRE', KEYS[1], a.ttl) end
  if not total then count_result(stored) end
  -- Refreshed with the result, so the counts never outlive it by much.
  keep_counts()
end
return page_result()
