import { HISTORY_WALK } from './history-walk.js';
import { PRELUDE } from './prelude.js';

/**
 * `counts()`: totals per status of the records matching a filter, in one
 * round trip. A filter on statuses and time alone is answered by ZCOUNT on
 * the status indexes, O(log n) each; any other field walks the smallest
 * covering index (see `history-walk.ts`). Returns `[status, count, ...]`.
 */
export const COUNTS_SCRIPT = /* lua */ `${PRELUDE}
prune(storeNow())
${HISTORY_WALK}
local ALL_STATUSES = { 'pending', 'running', 'success', 'failed', 'interrupted', 'cancelled', 'rejected' }
local totals = {}
if not names and not wantKey and not needle then
  for _, status in ipairs(statuses or ALL_STATUSES) do
    totals[status] = redis.call('ZCOUNT', base .. 'idx:status:' .. status, minScore, maxScore)
  end
else
  walk(function(id)
    local f = redis.call('HMGET', taskKey(id), 'status', 'name', 'key', 'error', 'errorLower')
    if f[1] and passes(f) then totals[f[1]] = (totals[f[1]] or 0) + 1 end
    return false
  end)
end
local out = {}
for status, total in pairs(totals) do
  out[#out + 1] = status
  out[#out + 1] = total
end
return out
`;
