import { ErrandError } from './errand-error.js';

/** No task was defined under the name given to `enqueue()` or `retry()`. */
export class UnknownTaskError extends ErrandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_UNKNOWN_TASK', message, options);
  }
}
