import { JOBS } from './jobs.js';
import { PRELUDE } from './prelude.js';

/** `schedules.get()`: one job as an HGETALL array (empty when absent). ARGV: id. */
export const GET_JOB_SCRIPT = /* lua */ `${PRELUDE}
${JOBS}
return redis.call('HGETALL', jobKey(ARGV[1]))
`;
