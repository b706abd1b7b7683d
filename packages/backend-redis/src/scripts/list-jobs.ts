import { JOBS } from './jobs.js';
import { PRELUDE } from './prelude.js';

/** `schedules.list()`: every job ordered by id (the `jobs` sorted set, all scores 0), as `id, HGETALL array` pairs. */
export const LIST_JOBS_SCRIPT = /* lua */ `${PRELUDE}
${JOBS}
return jobPairs(redis.call('ZRANGE', K_JOBS, 0, -1))
`;
