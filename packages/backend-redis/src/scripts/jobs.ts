/**
 * Lua shared by the `ScheduleStore` scripts (needs the prelude): the job
 * key names and the rule that keeps the due index in step with each job.
 *
 * A job is the hash `job:<id>`: taskName, trigger (JSON), definitionHash,
 * options (JSON), nextRunAt?, lastRunAt?, lastOutcome?, paused (0|1),
 * orphaned (0|1), activeRuns (JSON array), updatedAt. An absent field is
 * null. Times are stored as the decimal strings the package sent, never
 * reformatted by Lua, so `claimTick` compares `nextRunAt` as strings,
 * exactly.
 */
export const JOBS = /* lua */ `
local K_JOBS = base .. 'jobs'
local K_DUE = base .. 'jobs:due'

local function jobKey(id)
  return base .. 'job:' .. id
end

-- The due index holds a job (score nextRunAt) exactly while it is not
-- paused, not orphaned and has a nextRunAt. Every script that changes one
-- of those fields calls this afterwards.
local function syncDue(id)
  local f = redis.call('HMGET', jobKey(id), 'nextRunAt', 'paused', 'orphaned')
  if f[1] and f[2] ~= '1' and f[3] ~= '1' then
    redis.call('ZADD', K_DUE, f[1], id)
  else
    redis.call('ZREM', K_DUE, id)
  end
end

-- '[id, HGETALL array, ...]' for the given ids (missing jobs left out).
local function jobPairs(ids)
  local out = {}
  for _, id in ipairs(ids) do
    local job = redis.call('HGETALL', jobKey(id))
    if #job > 0 then
      out[#out + 1] = id
      out[#out + 1] = job
    end
  end
  return out
end
`;
