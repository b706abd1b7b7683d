import { ErrandError } from './errand-error.js';

/** The task or manager is in a state that does not allow the call (retrying a running task, enqueueing before `start()`, after `stop()`...). */
export class InvalidStateError extends ErrandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_STATE', message, options);
  }
}
