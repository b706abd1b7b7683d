import { maskSecrets } from '../errors/mask-secrets.js';
import type { Logger } from './backend.js';

/** One open subscription (a LISTEN, a SUBSCRIBE): closing it is safe to repeat. */
export interface Subscription {
  close(): Promise<void>;
}

/** How `keepSubscribed` opens a store's wake-up subscription. */
export interface ResubscribeOptions {
  /** The store's name, for log lines (`'postgres'`, `'redis'`). */
  store: string;
  logger: Logger;
  /**
   * Opens the subscription on a connection of its own; calls `lost()` when
   * that connection drops. Rejects when it cannot subscribe.
   */
  open(lost: () => void): Promise<Subscription>;
  /** Called once after every reconnection: what was announced meanwhile is lost, the work is not. */
  reconnected(): void;
}

/**
 * Keeps a wake-up subscription (`backend.watch()`) open across dropped
 * connections: after a drop it subscribes again after a jittered wait that
 * doubles up to 5 s, then calls `reconnected()` once. Rejects when the first
 * subscription fails; resolves with the function that ends it for good.
 */
export async function keepSubscribed(options: ResubscribeOptions): Promise<() => Promise<void>> {
  let current: Subscription | null = null;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;
  let stopped = false;

  const open = async (): Promise<void> => {
    let subscription: Subscription | null = null;
    const lost = () => {
      if (current !== subscription || subscription === null) return;
      current = null;
      void subscription.close();
      options.logger.warn(`${options.store}: the wake-up connection dropped; reconnecting`);
      retry();
    };
    subscription = await options.open(lost);
    // Stopped meanwhile: nobody else would close it.
    if (stopped) await subscription.close();
    else current = subscription;
  };

  const retry = (): void => {
    if (stopped) return;
    const wait = Math.min(5000, 100 * 2 ** failures++) * (0.5 + Math.random() / 2);
    timer = setTimeout(() => {
      open().then(
        () => {
          failures = 0;
          if (!stopped) options.reconnected();
        },
        (error: unknown) => {
          const message = maskSecrets(error instanceof Error ? error.message : String(error));
          options.logger.warn(`${options.store}: could not subscribe again; retrying`, { error: message });
          retry();
        },
      );
    }, wait);
    // The manager's own timers keep the process alive; this one must not hold it at exit.
    timer.unref();
  };

  await open();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    const subscription = current;
    current = null;
    await subscription?.close();
  };
}
