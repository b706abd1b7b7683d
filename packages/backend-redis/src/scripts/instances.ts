/** Heartbeats (`instances`: id -> expiresAt on the store clock, as claims read it) and the layout version. */
export const INSTANCES = /* lua */ `
local function forget(id)
  redis.call('ZREM', K_INSTANCES, id)
  redis.call('HDEL', K_INSTANCES .. ':started', id)
  return redis.call('HDEL', K_INSTANCES .. ':meta', id)
end
function ops.removeInstance() return forget(ARGV[1]) end
function ops.now() return num(now) end
-- Replies with the instance's cancel requests and every queue override (JSON).
function ops.heartbeat()
  redis.call('ZADD', K_INSTANCES, num(now + ARGV[2]), ARGV[1])
  redis.call('HSETNX', K_INSTANCES .. ':started', ARGV[1], num(now))
  redis.call('HSET', K_INSTANCES .. ':meta', ARGV[1], ARGV[3])
  -- An instance expired for a day is forgotten.
  for _, old in ipairs(redis.call('ZRANGEBYSCORE', K_INSTANCES, '-inf', num(now - 86400000))) do forget(old) end
  return { redis.call('ZRANGE', base .. 'cancel:' .. ARGV[1], 0, -1), redis.call('HVALS', K_OVERRIDES) }
end
-- As JSON text, each meta as it was stored.
function ops.instances()
  local rows, out = redis.call('ZRANGE', K_INSTANCES, 0, -1, 'WITHSCORES'), {}
  for i = 1, #rows, 2 do
    local started = redis.call('HGET', K_INSTANCES .. ':started', rows[i]) or rows[i + 1]
    local meta = redis.call('HGET', K_INSTANCES .. ':meta', rows[i]) or '{}'
    push(out, string.format('{"id":%s,"expiresAt":%s,"startedAt":%s,"meta":%s}', cjson.encode(rows[i]), rows[i + 1], started, meta))
  end
  return '[' .. table.concat(out, ',') .. ']'
end
-- Writes the layout version once (HSETNX: instances opening a new store at once agree); returns it.
function ops.open()
  if redis.call('HSETNX', KEYS[1], 'version', ARGV[1]) == 1 then redis.call('HSET', KEYS[1], 'createdAt', num(now)) end
  return redis.call('HGET', KEYS[1], 'version')
end
-- Moves a version 1 or 2 store to version ARGV[2], ARGV[1] records per call, oldest first from a cursor
-- in meta (instances opening at once share the work). Version 3 keeps queue, priority, runAt and
-- duration in hash fields too (before, only in the body), and adds the priority buckets, the delayed
-- set and the finished-time index.
function ops.upgrade()
  if tonumber(redis.call('HGET', KEYS[1], 'version')) >= tonumber(ARGV[2]) then return ARGV[2] end
  local cursor = redis.call('HMGET', KEYS[1], 'upgradeAt', 'upgradeSkip')
  local at, skip = cursor[1] or '-inf', tonumber(cursor[2] or 0)
  local items = redis.call('ZRANGEBYSCORE', K_ALL, at, '+inf', 'WITHSCORES', 'LIMIT', skip, ARGV[1])
  for i = 1, #items, 2 do
    -- As layout 2 indexed it (the defaults of read(), no finished-time entry), then as layout 3 does.
    local id, old, r = items[i], read(items[i]), read(items[i])
    if r then
      local body = cjson.decode(redis.call('HGET', taskKey(id), 'body') or '{}')
      old.finishedAt, r.queue, r.priority, r.runAt = nil, body.queue or r.queue, num(body.priority or 0), num(body.runAt or r.runAt)
      redis.call('HSET', taskKey(id), 'queue', r.queue, 'priority', r.priority, 'runAt', r.runAt)
      if type(body.duration) == 'number' then redis.call('HSET', taskKey(id), 'duration', string.format('%.17g', body.duration)) end
      move(id, old, r)
    end
  end
  if #items == 0 then
    redis.call('HSET', KEYS[1], 'version', ARGV[2], 'migratedAt', num(now))
    redis.call('HDEL', KEYS[1], 'upgradeAt', 'upgradeSkip')
    redis.call('DEL', base .. 'expiry')
    return ARGV[2]
  end
  local last, same = items[#items], 0
  for j = #items, 2, -2 do if items[j] == last then same = same + 1 end end
  redis.call('HSET', KEYS[1], 'upgradeAt', last, 'upgradeSkip', (last == at and skip or 0) + same)
  return redis.call('HGET', KEYS[1], 'version')
end
`;
