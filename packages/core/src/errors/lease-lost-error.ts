import { ErrandError } from './errand-error.js';

/**
 * This instance could not renew its heartbeat for `leaseTtl`, so another
 * instance may have taken its tasks over. A running attempt's `ctx.signal`
 * aborts with this reason; the attempt ends `interrupted` (or `pending` when
 * its task is `requeueOnInterrupt`), and the instance starts nothing until
 * it has re-registered and re-read which tasks are still its own.
 */
export class LeaseLostError extends ErrandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_LEASE_LOST', message, options);
  }
}
