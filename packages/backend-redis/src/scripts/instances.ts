import { PRELUDE } from './prelude.js';

/** `instances()`: every heartbeat as `[id, expiresAt, startedAt, metaJson, ...]`, read in one consistent step. */
export const INSTANCES_SCRIPT = /* lua */ `${PRELUDE}
local rows = redis.call('ZRANGE', K_INSTANCES, 0, -1, 'WITHSCORES')
local out = {}
for i = 1, #rows, 2 do
  local id = rows[i]
  out[#out + 1] = id
  out[#out + 1] = rows[i + 1]
  out[#out + 1] = redis.call('HGET', K_INSTANCES .. ':started', id) or rows[i + 1]
  out[#out + 1] = redis.call('HGET', K_INSTANCES .. ':meta', id) or '{}'
end
return out
`;
