import { ErrandError } from './errand-error.js';
import { maskError, maskSecrets } from './mask-secrets.js';

/**
 * Why a store call failed, as far as the backend can tell:
 * - `unavailable`: no usable answer (connection refused or lost, server down);
 * - `timeout`: no answer within the backend's `operationTimeout`;
 * - `refused`: the store answered and refused the data itself (a value too
 *   large or out of range): sending the same records again fails again, so
 *   the manager isolates the record instead of retrying the batch.
 */
export type BackendFailure = 'unavailable' | 'timeout' | 'refused';

/**
 * A backend call failed (connection refused, authentication, timeout...).
 * `operation` names the call (`open`, `write`, `claim`...); `cause` holds the
 * driver's own error, with any credential masked.
 */
export class BackendError extends ErrandError {
  readonly backend: string;
  readonly operation: string;
  readonly failure: BackendFailure;

  constructor(backend: string, operation: string, cause: unknown, failure: BackendFailure = 'unavailable') {
    const masked = maskError(cause);
    const detail = masked instanceof Error ? masked.message || masked.name : maskSecrets(String(masked));
    super('ERR_BACKEND', `${backend} backend: ${operation} failed: ${detail}`, { cause: masked });
    this.backend = backend;
    this.operation = operation;
    this.failure = failure;
  }
}
