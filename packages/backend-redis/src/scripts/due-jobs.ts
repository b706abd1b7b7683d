import { JOBS } from './jobs.js';
import { PRELUDE } from './prelude.js';

/**
 * `schedules.due()`: the first `limit` members of the due index with a
 * score up to `now`, earliest first (equal scores in id order, as Redis
 * sorts them), as `id, HGETALL array` pairs. ARGV: now, limit.
 */
export const DUE_JOBS_SCRIPT = /* lua */ `${PRELUDE}
${JOBS}
return jobPairs(redis.call('ZRANGEBYSCORE', K_DUE, '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2])))
`;
