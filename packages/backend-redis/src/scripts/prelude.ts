/**
 * Lua that every script starts with: key names derived from `KEYS[1]`, the
 * store clock, the status sets of `@errand/core`, and retention pruning.
 *
 * Nullable values travel in ARGV as `''` (null) or `'=' .. value`, because
 * ARGV holds only strings and an empty string is a legitimate value.
 * Numbers travel as decimal strings and are stored as given: Lua's own
 * number formatting (`%.14g`) would round epoch milliseconds and floats.
 */
export const PRELUDE = /* lua */ `
local base = string.sub(KEYS[1], 1, -5)
local K_ALL = base .. 'idx:all'
local K_KEYS = base .. 'keys'
local K_OPEN = base .. 'open'
local K_EXPIRY = base .. 'expiry'
local K_INSTANCES = base .. 'instances'

local function opt(value)
  if value == '' then return nil end
  return string.sub(value, 2)
end

local function num(value)
  return string.format('%.0f', value)
end

local function storeNow()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function holdsKey(status)
  return status == 'pending' or status == 'running' or status == 'success' or status == 'interrupted'
end

local function isFinished(status)
  return status ~= 'pending' and status ~= 'running'
end

local function isClaimable(status, requeue)
  return status == 'pending' or status == 'running' or (status == 'interrupted' and requeue == '1')
end

-- Claimable records are indexed per (owner, name): a claim then reads only
-- the buckets of dead owners and of names it runs. The owner is
-- length-prefixed so that any owner and name strings stay unambiguous.
local function bucketToken(owner, name)
  if not owner then return '-' .. name end
  return '+' .. #owner .. ':' .. owner .. name
end

local function parseToken(token)
  if string.sub(token, 1, 1) == '-' then return nil, string.sub(token, 2) end
  local colon = string.find(token, ':', 2, true)
  local length = tonumber(string.sub(token, 2, colon - 1))
  return string.sub(token, colon + 1, colon + length), string.sub(token, colon + length + 1)
end

local function taskKey(id)
  return base .. 'task:' .. id
end

-- Deletes a record with every index entry that points at it.
local function removeTask(id)
  local key = taskKey(id)
  local f = redis.call('HMGET', key, 'status', 'name', 'key', 'owner', 'requeue')
  if not f[1] then return end
  redis.call('ZREM', K_ALL, id)
  redis.call('ZREM', base .. 'idx:status:' .. f[1], id)
  redis.call('ZREM', base .. 'idx:name:' .. f[2], id)
  if f[3] then
    redis.call('ZREM', base .. 'idx:key:' .. f[3], id)
    if redis.call('HGET', K_KEYS, f[3]) == id then redis.call('HDEL', K_KEYS, f[3]) end
  end
  if isClaimable(f[1], f[5]) then
    redis.call('ZREM', K_OPEN .. ':' .. bucketToken(f[4] or nil, f[2]), id)
  end
  redis.call('DEL', key)
end

-- Retention: finished records whose time has come go, index entries
-- included. A PEXPIRE on the hash alone would leave index members behind.
local function prune(now)
  local due = redis.call('ZRANGEBYSCORE', K_EXPIRY, '-inf', num(now))
  if #due == 0 then return end
  for i = 1, #due do removeTask(due[i]) end
  redis.call('ZREMRANGEBYSCORE', K_EXPIRY, '-inf', num(now))
end
`;
