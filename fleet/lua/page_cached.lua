-- Plan "cached": page the intersection materialised by an earlier query.
-- Returns "replan" when the result expired after the read that chose this plan.
-- Returns {total, up, down, ids, device JSONs}.
if redis.call('EXISTS', KEYS[1]) == 0 then return 'replan' end
read_counts()
return page_result()
