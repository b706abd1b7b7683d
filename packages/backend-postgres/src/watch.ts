import type { Subscription } from '@errand/core';
import type { Dedicated } from './connection.js';

/**
 * One LISTEN on the store's channel (quoted), on a connection of its own:
 * each notification calls `onWork`; a dropped connection calls `lost` (core's
 * `keepSubscribed` then listens again on a new one).
 */
export async function listen(
  connect: () => Promise<Dedicated>,
  channel: string,
  onWork: () => void,
  lost: () => void,
): Promise<Subscription> {
  const held = await connect();
  const name = channel.slice(1, -1);
  held.client.on('notification', (message) => message.channel === name && onWork());
  held.client.on('error', lost).on('end', lost);
  await held.client.query(`LISTEN ${channel}`).catch(async (error: unknown) => {
    await held.release();
    throw error;
  });
  return { close: () => held.release() };
}
