import { PRELUDE } from './prelude.js';

/** How long an expired instance stays listed by `instances()` before a heartbeat forgets it. */
export const FORGET_INSTANCES_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * `heartbeat()`: `expiresAt = storeNow + ttl` in the instances sorted set
 * (the liveness test of claims), `startedAt` kept from the first call, meta
 * refreshed. Instances expired for over a day are forgotten here, and
 * retention is pruned, so an idle store still sheds expired records.
 *
 * ARGV: instanceId, ttl ms, meta JSON.
 */
export const HEARTBEAT_SCRIPT = /* lua */ `${PRELUDE}
local now = storeNow()
prune(now)
local id = ARGV[1]
redis.call('ZADD', K_INSTANCES, num(now + tonumber(ARGV[2])), id)
redis.call('HSETNX', K_INSTANCES .. ':started', id, num(now))
redis.call('HSET', K_INSTANCES .. ':meta', id, ARGV[3])
local forgotten = redis.call('ZRANGEBYSCORE', K_INSTANCES, '-inf', '(' .. num(now - ${FORGET_INSTANCES_AFTER_MS}))
for _, old in ipairs(forgotten) do
  redis.call('ZREM', K_INSTANCES, old)
  redis.call('HDEL', K_INSTANCES .. ':started', old)
  redis.call('HDEL', K_INSTANCES .. ':meta', old)
end
return 1
`;
