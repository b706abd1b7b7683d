import type { ResolvedTaskOptions } from '../options/index.js';

/**
 * Delay before the next attempt after `attempt` attempts failed:
 * `retryDelay * backoff^(attempt - 1)`, capped at `maxRetryDelay`, then
 * reduced by up to `jitter` of itself at random.
 */
export function retryDelay(options: ResolvedTaskOptions, attempt: number, random = Math.random): number {
  const exponential = options.retryDelay * options.backoff ** Math.max(0, attempt - 1);
  const capped = Math.min(exponential, options.maxRetryDelay);
  return Math.round(options.jitter > 0 ? capped * (1 - options.jitter * random()) : capped);
}
