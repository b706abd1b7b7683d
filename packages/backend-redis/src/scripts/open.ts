import { PRELUDE } from './prelude.js';

/**
 * `open()`: writes the schema version once (HSETNX: two instances opening
 * a new store at once agree) and returns the version the store holds.
 *
 * ARGV: this package's schema version.
 */
export const OPEN_SCRIPT = /* lua */ `${PRELUDE}
if redis.call('HSETNX', KEYS[1], 'version', ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], 'createdAt', num(storeNow()))
end
return redis.call('HGET', KEYS[1], 'version')
`;
