import type { Io, Printer } from '../io.js';
import { Deadline } from '../store/deadline.js';
import { openStore, type Store } from '../store/open.js';
import { parseStoreUrl, type StoreTarget } from '../store/url.js';
import { parseDuration } from '../values.js';

export const DEFAULT_TIMEOUT_MS = 5000;

export type Values = Record<string, string | boolean | undefined>;

/** What every command gets: its flags, the streams, and the way to its store. */
export interface CommandContext {
  io: Io;
  print: Printer;
  values: Values;
  positionals: string[];
  /** When the process started (performance.now() clock): `--timeout` counts from here. */
  startedAt: number;
}

export function stringFlag(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** The store named by `--store`/`ERRAND_STORE_URL`, `--prefix` and `--schema`; its password is masked from now on. */
export function storeTarget(context: CommandContext): StoreTarget {
  const target = parseStoreUrl(stringFlag(context.values, 'store') ?? context.io.env.ERRAND_STORE_URL, {
    prefix: stringFlag(context.values, 'prefix'),
    schema: stringFlag(context.values, 'schema'),
    cwd: context.io.cwd,
  });
  context.print.secrets = target.secrets;
  return target;
}

export function deadlineOf(context: CommandContext): Deadline {
  const timeout = stringFlag(context.values, 'timeout');
  return new Deadline(timeout ? parseDuration('timeout', timeout) : DEFAULT_TIMEOUT_MS, context.startedAt);
}

/** Opens the store, runs `work`, and always lets go of the store. */
export async function withStore<T>(
  context: CommandContext,
  work: (store: Store, deadline: Deadline) => Promise<T>,
): Promise<T> {
  const target = storeTarget(context);
  const deadline = deadlineOf(context);
  const store = await openStore(target, deadline);
  try {
    return await work(store, deadline);
  } finally {
    await store.close();
  }
}
