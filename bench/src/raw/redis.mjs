// Raw ioredis: one HSET per record (the hash fields Errand keeps), every
// command of a batch sent in one pipeline.
import { Redis } from 'ioredis';
import { REDIS_URL } from '../services.mjs';

export async function createRawRedis(namespace) {
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  await redis.connect();
  const prefix = `{${namespace}}:raw:task:`;
  return {
    label: 'ioredis: HSET per record, one pipeline per batch',
    async write(records) {
      const pipeline = redis.pipeline();
      for (const r of records) {
        const {
          id,
          name,
          status,
          createdAt,
          owner,
          idempotencyKey,
          requeueOnInterrupt,
          finishedAt,
          error,
          ...rest
        } = r;
        pipeline.hset(prefix + id, {
          name,
          status,
          createdAt,
          owner: owner ?? '',
          key: idempotencyKey ?? '',
          requeue: requeueOnInterrupt ? '1' : '0',
          finishedAt: finishedAt ?? '',
          error: error ?? '',
          body: JSON.stringify(rest),
        });
      }
      const results = await pipeline.exec();
      const failed = results.find(([error]) => error);
      if (failed) throw failed[0];
    },
    async close() {
      redis.disconnect();
    },
  };
}
