import { JOBS } from './jobs.js';
import { PRELUDE } from './prelude.js';

/** `schedules.setPaused()`: sets the flag (updatedAt = store clock) and the due entry; 0 when there is no such job. ARGV: id, paused (0|1). */
export const SET_PAUSED_SCRIPT = /* lua */ `${PRELUDE}
${JOBS}
local key = jobKey(ARGV[1])
if redis.call('EXISTS', key) == 0 then return 0 end
redis.call('HSET', key, 'paused', ARGV[2], 'updatedAt', num(storeNow()))
syncDue(ARGV[1])
return 1
`;
