import type { Subscription } from '@errand/core';
import { Cluster, type Redis } from 'ioredis';

/**
 * One SUBSCRIBE to `channel` on a duplicate of `client` that never reconnects by itself: each message
 * calls `onWork`; a dropped connection calls `lost` (core's `keepSubscribed` then subscribes again).
 */
export async function subscribe(
  client: Redis | Cluster,
  channel: string,
  onWork: () => void,
  lost: () => void,
): Promise<Subscription> {
  const once = { lazyConnect: true, retryStrategy: () => null, clusterRetryStrategy: () => null };
  const subscriber = client instanceof Cluster ? client.duplicate([], once) : client.duplicate(once);
  // Its failures reach keepSubscribed as a rejected subscribe() or a lost connection.
  subscriber.on('error', () => {});
  subscriber.on('message', (name: string) => name === channel && onWork());
  try {
    await subscriber.connect();
    await subscriber.subscribe(channel);
  } catch (error) {
    subscriber.disconnect();
    throw error;
  }
  subscriber.once('end', lost);
  return {
    // What the server sent before it saw the socket close must not wake anyone any more.
    close: async () => void subscriber.removeAllListeners('message').disconnect(),
  };
}
