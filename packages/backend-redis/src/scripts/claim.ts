import { PRELUDE } from './prelude.js';

/**
 * `claim()`: takes over the unfinished work of dead owners in one atomic
 * step, so two instances claiming at once never get the same record.
 *
 * ARGV: instanceId, limit, retention ms, then the task names.
 *
 * Liveness is judged on the store clock (`TIME`) against the instances
 * sorted set. Only the claimable buckets of dead owners and of wanted names
 * are read, each up to `limit`, and merged oldest first; a busy live
 * instance's own pending work costs a claim nothing. Returns the claimed
 * records as stored (`id, HGETALL array` pairs).
 */
export const CLAIM_SCRIPT = /* lua */ `${PRELUDE}
local now = storeNow()
prune(now)
local me = ARGV[1]
local limit = tonumber(ARGV[2])
local retention = tonumber(ARGV[3])
local wanted = {}
for i = 4, #ARGV do wanted[ARGV[i]] = true end

local candidates = {}
local tokens = redis.call('SMEMBERS', K_OPEN)
for _, token in ipairs(tokens) do
  local bucket = K_OPEN .. ':' .. token
  local owner, name = parseToken(token)
  if redis.call('EXISTS', bucket) == 0 then
    redis.call('SREM', K_OPEN, token)
  elseif wanted[name] and owner ~= me then
    local alive = false
    if owner then
      local expiresAt = redis.call('ZSCORE', K_INSTANCES, owner)
      alive = expiresAt and tonumber(expiresAt) > now
    end
    if not alive then
      local items = redis.call('ZRANGE', bucket, 0, limit - 1, 'WITHSCORES')
      for j = 1, #items, 2 do
        candidates[#candidates + 1] = { tonumber(items[j + 1]), items[j] }
      end
    end
  end
end

-- Oldest first; ids break ties (fixed-format UUIDs compare the same under
-- any collation).
table.sort(candidates, function(a, b)
  if a[1] ~= b[1] then return a[1] < b[1] end
  return a[2] < b[2]
end)

local claimed = {}
for n = 1, math.min(limit, #candidates) do
  local id = candidates[n][2]
  local hkey = taskKey(id)
  local f = redis.call('HMGET', hkey, 'status', 'owner', 'name', 'requeue', 'createdAt')
  local status, lostOwner, name, requeue, createdAt = f[1], f[2] or nil, f[3], f[4], f[5]
  local newStatus = 'pending'
  if status == 'running' and requeue ~= '1' then newStatus = 'interrupted' end

  redis.call('HSET', hkey, 'owner', me, 'status', newStatus)
  if newStatus == 'interrupted' then
    local message = 'instance ' .. (lostOwner or '(none)') .. ' stopped before the task finished'
    redis.call('HSET', hkey, 'finishedAt', num(now), 'error', message)
    local lower = string.lower(message)
    if lower ~= message then
      redis.call('HSET', hkey, 'errorLower', lower)
    else
      redis.call('HDEL', hkey, 'errorLower')
    end
    if retention > 0 then redis.call('ZADD', K_EXPIRY, num(now + retention), id) end
  end
  if newStatus ~= status then
    redis.call('ZREM', base .. 'idx:status:' .. status, id)
    redis.call('ZADD', base .. 'idx:status:' .. newStatus, createdAt, id)
  end

  redis.call('ZREM', K_OPEN .. ':' .. bucketToken(lostOwner, name), id)
  if isClaimable(newStatus, requeue) then
    local token = bucketToken(me, name)
    redis.call('ZADD', K_OPEN .. ':' .. token, createdAt, id)
    redis.call('SADD', K_OPEN, token)
  end
  claimed[#claimed + 1] = id
  claimed[#claimed + 1] = redis.call('HGETALL', hkey)
end

return claimed
`;
