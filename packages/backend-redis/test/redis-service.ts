import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis the tests use (override with ERRAND_REDIS_URL). */
export const REDIS_URL = process.env.ERRAND_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

export const START_COMMAND =
  'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no';

/** Resolves when Redis answers PING; rejects (quickly) otherwise. */
export async function probeRedis(): Promise<void> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } finally {
    client.disconnect();
  }
}

/** A key prefix no other test (or helper sharing this Redis) uses. */
export function randomPrefix(): string {
  return `errand-test-${randomBytes(6).toString('hex')}:`;
}

/** Keys matching a pattern, by SCAN (fine in tests, never on a query path). */
export async function scanKeys(client: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** Every key of one prefix (the backend turns `name:` into the hash tag `{name}:`). */
export function keysOf(client: Redis, prefix: string): Promise<string[]> {
  const stem = prefix.endsWith(':') ? prefix.slice(0, -1) : prefix;
  return scanKeys(client, `{${stem}}:*`);
}

/** Deletes every key of one prefix. */
export async function dropPrefix(prefix: string): Promise<void> {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  client.on('error', () => {});
  try {
    const keys = await keysOf(client, prefix);
    for (let i = 0; i < keys.length; i += 500) await client.unlink(...keys.slice(i, i + 500));
  } finally {
    client.disconnect();
  }
}
