/** `ScheduleStore`: a job is the hash `job:<id>`; `jobs:due` holds the ones that may fire, by `nextRunAt`. */
export const JOBS = /* lua */ `
local K_JOBS, K_DUE = base .. 'jobs', base .. 'jobs:due'
local function jobKey(id) return base .. 'job:' .. id end
local function syncDue(id)
  local f = redis.call('HMGET', jobKey(id), 'nextRunAt', 'paused', 'orphaned')
  if f[1] and f[2] ~= '1' and f[3] ~= '1' then redis.call('ZADD', K_DUE, f[1], id) else redis.call('ZREM', K_DUE, id) end
  return 1
end
local function without(json, drop) -- cjson would write an empty array as {}
  local kept = {}
  for _, id in ipairs(cjson.decode(json)) do if not drop[id] then push(kept, id) end end
  return #kept == 0 and '[]' or cjson.encode(kept)
end
-- ARGV: jobs or jobs:due, the highest score, at most how many (-1: all).
function ops.listJobs()
  local out = {}
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', base .. ARGV[1], '-inf', ARGV[2], 'LIMIT', 0, ARGV[3])) do
    push(out, id, redis.call('HGETALL', jobKey(id)))
  end
  return out
end
function ops.getJob() return redis.call('HGETALL', jobKey(ARGV[1])) end
-- The same definitionHash only clears orphaned; another replaces the definition, not the run state.
function ops.registerJob()
  local job, fields = cjson.decode(ARGV[1]), { 'orphaned', '0' }
  local key, stored = jobKey(job.id), redis.call('HGET', jobKey(job.id), 'definitionHash')
  if not stored then
    for field, value in pairs(job) do if field ~= 'id' and field ~= 'orphaned' then push(fields, field, value) end end
    redis.call('DEL', key)
    redis.call('ZADD', K_JOBS, 0, job.id)
  elseif stored ~= job.definitionHash then
    push(fields, 'taskName', job.taskName, 'trigger', job.trigger, 'definitionHash', job.definitionHash)
    push(fields, 'options', job.options, 'updatedAt', num(now))
    put(key, 'nextRunAt', job.nextRunAt)
  end
  redis.call('HSET', key, unpack(fields))
  syncDue(job.id)
  return redis.call('HGETALL', key)
end
function ops.markOrphans()
  local declared = set(ARGV)
  for _, id in ipairs(redis.call('ZRANGE', K_JOBS, 0, -1)) do
    redis.call('HSET', jobKey(id), 'orphaned', declared[id] and '0' or '1')
    syncDue(id)
  end
end
function ops.removeJob()
  redis.call('ZREM', K_JOBS, ARGV[1])
  redis.call('ZREM', K_DUE, ARGV[1])
  return redis.call('DEL', jobKey(ARGV[1]))
end
-- ARGV: id, a run that ended ('' for none), field/value pairs. Returns 0 when there is no such job.
function ops.updateJob()
  local key, runs = jobKey(ARGV[1]), redis.call('HGET', jobKey(ARGV[1]), 'activeRuns')
  if not runs then return 0 end
  redis.call('HSET', key, 'updatedAt', num(now), 'activeRuns', without(runs, set({ ARGV[2] })), unpack(ARGV, 3))
  return syncDue(ARGV[1])
end
-- Compares nextRunAt as text (both are the package's decimal form). Tasks not stored because their
-- key is held never run, so they leave activeRuns. Returns { won, id, holder, ... }.
function ops.claimTick()
  local tick, refused = cjson.decode(ARGV[1]), {}
  local key = jobKey(tick.jobId)
  if redis.call('HGET', key, 'nextRunAt') ~= tick.expected then return { 0 } end
  local conflicts = storeRecords(1)
  for i = 1, #conflicts, 2 do refused[conflicts[i]] = true end
  redis.call('HSET', key, 'activeRuns', without(tick.activeRuns, refused), 'lastRunAt', tick.lastRunAt, 'updatedAt', num(now))
  put(key, 'nextRunAt', tick.nextRunAt)
  if tick.lastOutcome then redis.call('HSET', key, 'lastOutcome', tick.lastOutcome) end
  syncDue(tick.jobId)
  table.insert(conflicts, 1, 1)
  return conflicts
end
`;
