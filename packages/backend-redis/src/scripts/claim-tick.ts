import { JOBS } from './jobs.js';
import { PRELUDE } from './prelude.js';
import { STORE_RECORDS } from './write.js';

/** ARGV slots before the records of a tick, in the order `claimTickArgs()` in `row.ts` lays them out. */
export const CLAIM_TICK_FIELDS = 7;

/**
 * `schedules.claimTick()`: the compare-and-set of a due tick and the
 * storing of its tasks, in one script, so each tick fires exactly once.
 *
 * ARGV: jobId, expectedNextRunAt, nextRunAt?, activeRuns JSON, lastRunAt,
 * lastOutcome?, retention ms, then the tick's records in the slots of
 * `write()`.
 *
 * The stored nextRunAt is compared with the expected one as strings (both
 * are decimal strings from the package, never reformatted by Lua). On a
 * mismatch, or no job, or no nextRunAt, nothing changes and it returns 0.
 * Otherwise it sets nextRunAt, activeRuns, lastRunAt, lastOutcome (when
 * given) and updatedAt (store clock), updates the due index, prunes as
 * `write()` does and stores the records with the very same function
 * (`storeRecords`: idempotency-key conflicts are skipped, fencing applies),
 * then returns 1.
 */
export const CLAIM_TICK_SCRIPT = /* lua */ `${PRELUDE}
${JOBS}
${STORE_RECORDS}
local id = ARGV[1]
local key = jobKey(id)
if redis.call('HGET', key, 'nextRunAt') ~= ARGV[2] then return 0 end
local now = storeNow()
local nextRunAt, lastOutcome = opt(ARGV[3]), opt(ARGV[6])
redis.call('HSET', key, 'activeRuns', ARGV[4], 'lastRunAt', ARGV[5], 'updatedAt', num(now))
if nextRunAt then
  redis.call('HSET', key, 'nextRunAt', nextRunAt)
else
  redis.call('HDEL', key, 'nextRunAt')
end
if lastOutcome then redis.call('HSET', key, 'lastOutcome', lastOutcome) end
syncDue(id)
prune(now)
storeRecords(now, tonumber(ARGV[7]), ${CLAIM_TICK_FIELDS + 1})
return 1
`;
