import { PRELUDE } from './prelude.js';

/** `removeInstance()`: drops a heartbeat at a clean stop, so others may claim at once. ARGV: instanceId. */
export const REMOVE_INSTANCE_SCRIPT = /* lua */ `${PRELUDE}
redis.call('ZREM', K_INSTANCES, ARGV[1])
redis.call('HDEL', K_INSTANCES .. ':started', ARGV[1])
redis.call('HDEL', K_INSTANCES .. ':meta', ARGV[1])
return 1
`;
