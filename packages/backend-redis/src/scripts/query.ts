import { HISTORY_WALK } from './history-walk.js';
import { PRELUDE } from './prelude.js';

/**
 * `query()`: one round trip. Walks the smallest covering index newest first
 * (see `history-walk.ts` for ARGV), tests the other filter fields per
 * member, and stops at `limit` matches. Never KEYS or SCAN. Returns one
 * `id, HGETALL array` pair per record.
 */
export const QUERY_SCRIPT = /* lua */ `${PRELUDE}
prune(storeNow())
${HISTORY_WALK}
local out = {}
walk(function(id)
  local hkey = taskKey(id)
  if needsFields then
    local f = redis.call('HMGET', hkey, 'status', 'name', 'key', 'error', 'errorLower')
    if not f[1] or not passes(f) then return false end
  end
  local record = redis.call('HGETALL', hkey)
  if #record > 0 then
    out[#out + 1] = id
    out[#out + 1] = record
  end
  return #out >= limit * 2
end)
return out
`;
