import { PRELUDE } from './prelude.js';

/** `get()`: one record as an HGETALL array (empty when absent). Prunes first, so an expired record is never returned. */
export const GET_SCRIPT = /* lua */ `${PRELUDE}
prune(storeNow())
return redis.call('HGETALL', taskKey(ARGV[1]))
`;
