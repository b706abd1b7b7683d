import { JOBS } from './jobs.js';
import { PRELUDE } from './prelude.js';

/**
 * `schedules.markOrphans()`: every job whose id is not in ARGV becomes
 * orphaned (and leaves the due index); the others lose the flag. Only
 * changed jobs are written. ARGV: the declared ids.
 */
export const MARK_ORPHANS_SCRIPT = /* lua */ `${PRELUDE}
${JOBS}
local declared = {}
for i = 1, #ARGV do declared[ARGV[i]] = true end
for _, id in ipairs(redis.call('ZRANGE', K_JOBS, 0, -1)) do
  local flag = '1'
  if declared[id] then flag = '0' end
  if redis.call('HGET', jobKey(id), 'orphaned') ~= flag then
    redis.call('HSET', jobKey(id), 'orphaned', flag)
    syncDue(id)
  end
end
return 1
`;
