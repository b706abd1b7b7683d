import { InvalidOptionError } from '@errand/core';

/**
 * Where the backend's keys live. Every key of one prefix shares one Redis
 * Cluster hash tag (`{errand}:task:<id>`, `{errand}:idx:all`...), so that a
 * Lua script touching many of them runs on one node.
 */

/** The default `prefix` option. */
export const DEFAULT_PREFIX = 'errand:';

/**
 * Turns the `prefix` option into the key base every key starts with:
 * `errand:` becomes `{errand}:`. A prefix that already holds a hash tag
 * (`app:{errand}:`) is kept as it is.
 */
export function keyBase(prefix: string): string {
  if (/\{[^}]+\}/.test(prefix)) return prefix;
  const stem = prefix.endsWith(':') ? prefix.slice(0, -1) : prefix;
  if (stem === '') throw new InvalidOptionError('RedisBackend: prefix must not be empty');
  return `{${stem}}:`;
}

/**
 * The one key every script receives as `KEYS[1]`. Scripts derive all other
 * key names from it (stripping `meta`), so an ioredis `keyPrefix` on the
 * client, which rewrites declared keys only, still applies to all of them,
 * and Redis Cluster routes the call to the node of the hash tag.
 */
export function metaKey(base: string): string {
  return `${base}meta`;
}
