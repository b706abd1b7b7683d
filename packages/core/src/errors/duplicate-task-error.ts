import { ErrandError } from './errand-error.js';

/** `define()` was called twice with the same name. */
export class DuplicateTaskError extends ErrandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_DUPLICATE_TASK', message, options);
  }
}
