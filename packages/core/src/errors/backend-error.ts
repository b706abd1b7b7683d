import { ErrandError } from './errand-error.js';

/**
 * A backend call failed (connection refused, authentication, timeout...).
 * `operation` names the call (`open`, `write`, `claim`...); `cause` holds the
 * driver's own error.
 */
export class BackendError extends ErrandError {
  readonly backend: string;
  readonly operation: string;

  constructor(backend: string, operation: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super('ERR_BACKEND', `${backend} backend: ${operation} failed: ${detail}`, { cause });
    this.backend = backend;
    this.operation = operation;
  }
}
