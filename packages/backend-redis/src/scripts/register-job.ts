import { JOBS } from './jobs.js';
import { PRELUDE } from './prelude.js';

/** ARGV slots of a job, in the order `jobArgs()` in `row.ts` lays them out. */
export const JOB_FIELDS = 11;

/**
 * `schedules.register()`: one atomic step, so instances starting at once
 * agree. A new id is inserted as given (not orphaned); a stored one with
 * the same definitionHash only loses its orphan flag; with another hash its
 * definition and nextRunAt are replaced (updatedAt = store clock) while
 * paused, lastRunAt, lastOutcome and activeRuns stay. Returns the job as
 * stored (HGETALL array).
 *
 * ARGV ({@link JOB_FIELDS}): id, taskName, trigger JSON, definitionHash,
 * options JSON, nextRunAt?, lastRunAt?, lastOutcome?, paused (0|1),
 * activeRuns JSON, updatedAt.
 */
export const REGISTER_JOB_SCRIPT = /* lua */ `${PRELUDE}
${JOBS}
local id = ARGV[1]
local key = jobKey(id)
local storedHash = redis.call('HGET', key, 'definitionHash')
if not storedHash then
  local fields = {
    'taskName', ARGV[2], 'trigger', ARGV[3], 'definitionHash', ARGV[4], 'options', ARGV[5],
    'paused', ARGV[9], 'orphaned', '0', 'activeRuns', ARGV[10], 'updatedAt', ARGV[11],
  }
  local nextRunAt, lastRunAt, lastOutcome = opt(ARGV[6]), opt(ARGV[7]), opt(ARGV[8])
  if nextRunAt then fields[#fields + 1] = 'nextRunAt'; fields[#fields + 1] = nextRunAt end
  if lastRunAt then fields[#fields + 1] = 'lastRunAt'; fields[#fields + 1] = lastRunAt end
  if lastOutcome then fields[#fields + 1] = 'lastOutcome'; fields[#fields + 1] = lastOutcome end
  redis.call('DEL', key)
  redis.call('HSET', key, unpack(fields))
  redis.call('ZADD', K_JOBS, 0, id)
elseif storedHash == ARGV[4] then
  redis.call('HSET', key, 'orphaned', '0')
else
  redis.call('HSET', key, 'taskName', ARGV[2], 'trigger', ARGV[3], 'definitionHash', ARGV[4],
    'options', ARGV[5], 'orphaned', '0', 'updatedAt', num(storeNow()))
  local nextRunAt = opt(ARGV[6])
  if nextRunAt then
    redis.call('HSET', key, 'nextRunAt', nextRunAt)
  else
    redis.call('HDEL', key, 'nextRunAt')
  end
end
syncDue(id)
return redis.call('HGETALL', key)
`;
