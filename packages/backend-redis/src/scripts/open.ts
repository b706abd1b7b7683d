import { PRELUDE } from './prelude.js';

/**
 * Forward migrations of the key layout, by the version they lead to. Each
 * runs inside the open script, so the step and the version bump are atomic
 * and instances opening an old store at once migrate it once.
 *
 * - 002: scheduler jobs (`job:<id>`, `jobs`, `jobs:due`). New keys only,
 *   created on first use: nothing to convert.
 */
const MIGRATIONS = /* lua */ `
local migrations = {
  [2] = function() end,
}
`;

/**
 * `open()`: writes the schema version once (HSETNX: two instances opening
 * a new store at once agree), migrates an older store forward step by
 * step (recording `migratedAt`), and returns the version the store holds
 * now. A newer or unreadable version is returned as it is, for the package
 * to refuse.
 *
 * ARGV: this package's schema version.
 */
export const OPEN_SCRIPT = /* lua */ `${PRELUDE}
${MIGRATIONS}
local target = tonumber(ARGV[1])
if redis.call('HSETNX', KEYS[1], 'version', ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], 'createdAt', num(storeNow()))
  return ARGV[1]
end
local stored = redis.call('HGET', KEYS[1], 'version')
local version = tonumber(stored)
if not version or version ~= math.floor(version) or version < 1 or version >= target then return stored end
while version < target do
  version = version + 1
  local migrate = migrations[version]
  if migrate then migrate() end
  redis.call('HSET', KEYS[1], 'version', tostring(version))
end
redis.call('HSET', KEYS[1], 'migratedAt', num(storeNow()))
return tostring(version)
`;
