/**
 * Flow control: queue overrides (`queues`: name -> JSON), semaphores (`sem:<key>`: holder -> units),
 * token buckets (`bucket:<key>`), leases (`lock:<name>`, with a TTL) and purges, on the store clock.
 */
export const FLOW = /* lua */ `
-- Settings set to null are cleared; an override with none left is deleted. Returns the stored JSON or nil.
function ops.setQueueOverride()
  local o = cjson.decode(redis.call('HGET', K_OVERRIDES, ARGV[1]) or '{}')
  for field, value in pairs(cjson.decode(ARGV[2])) do
    if value == cjson.null then o[field] = nil else o[field] = value end
  end
  if o.paused == nil and o.concurrency == nil and o.globalConcurrency == nil then
    redis.call('HDEL', K_OVERRIDES, ARGV[1])
    return nil
  end
  o.name, o.updatedAt = ARGV[1], now
  redis.call('HSET', K_OVERRIDES, ARGV[1], cjson.encode(o))
  return cjson.encode(o)
end
-- Units of a holder count while its heartbeat lives; a dead holder's are dropped here.
function ops.acquire()
  local key, used = base .. 'sem:' .. ARGV[1], 0
  local held = redis.call('HGETALL', key)
  for i = 1, #held, 2 do
    if alive(held[i]) then used = used + held[i + 1] else redis.call('HDEL', key, held[i]) end
  end
  local granted = math.max(0, math.min(tonumber(ARGV[3]), ARGV[4] - used))
  if granted > 0 then redis.call('HINCRBY', key, ARGV[2], granted) end
  return granted
end
function ops.release()
  local key = base .. 'sem:' .. ARGV[1]
  if redis.call('HINCRBY', key, ARGV[2], 0 - ARGV[3]) <= 0 then redis.call('HDEL', key, ARGV[2]) end
end
-- ARGV: key, want, max, perMs. A new bucket starts full.
function ops.takeTokens()
  local key = base .. 'bucket:' .. ARGV[1]
  local b = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = b[1] and math.min(ARGV[3], b[1] + (now - b[2]) * ARGV[3] / ARGV[4]) or tonumber(ARGV[3])
  local taken = math.max(0, math.min(tonumber(ARGV[2]), math.floor(tokens)))
  redis.call('HSET', key, 'tokens', string.format('%.17g', tokens - taken), 'at', num(now))
  return taken
end
function ops.tryLock()
  local key = base .. 'lock:' .. ARGV[1]
  local holder = redis.call('GET', key)
  if holder and holder ~= ARGV[2] then return 0 end
  redis.call('SET', key, ARGV[2], 'PX', ARGV[3])
  return 1
end
function ops.purge()
  local p = cjson.decode(ARGV[1])
  if not FINISHED[p.status] or p.limit < 1 then return 0 end
  return purge(p.status, p.finishedBefore, set(p.queues), set(p.excludeQueues) or {}, p.limit)
end
`;
