import { JOBS } from './jobs.js';
import { PRELUDE } from './prelude.js';

/** `schedules.remove()`: deletes a job and its index entries; 1 when there was one. ARGV: id. */
export const REMOVE_JOB_SCRIPT = /* lua */ `${PRELUDE}
${JOBS}
redis.call('ZREM', K_JOBS, ARGV[1])
redis.call('ZREM', K_DUE, ARGV[1])
return redis.call('DEL', jobKey(ARGV[1]))
`;
