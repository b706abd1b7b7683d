import { JOBS } from './jobs.js';
import { PRELUDE } from './prelude.js';

/**
 * `schedules.recordOutcome()`: removes a task id from the job's activeRuns
 * and sets lastOutcome (updatedAt = store clock); nothing when there is no
 * such job. ARGV: jobId, taskId, outcome.
 */
export const RECORD_OUTCOME_SCRIPT = /* lua */ `${PRELUDE}
${JOBS}
local key = jobKey(ARGV[1])
local runs = redis.call('HGET', key, 'activeRuns')
if not runs then return 0 end
local kept = {}
for _, id in ipairs(cjson.decode(runs)) do
  if id ~= ARGV[2] then kept[#kept + 1] = id end
end
-- cjson encodes an empty table as an object: write the empty array as such.
local encoded = '[]'
if #kept > 0 then encoded = cjson.encode(kept) end
redis.call('HSET', key, 'activeRuns', encoded, 'lastOutcome', ARGV[3], 'updatedAt', num(storeNow()))
return 1
`;
