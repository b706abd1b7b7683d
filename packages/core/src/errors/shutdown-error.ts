import { ErrandError } from './errand-error.js';

/** `stop()` ran out of time while the task was running; the task is marked `interrupted`. */
export class ShutdownError extends ErrandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SHUTDOWN', message, options);
  }
}
