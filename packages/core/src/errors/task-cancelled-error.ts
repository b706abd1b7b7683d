import { ErrandError } from './errand-error.js';

/** `cancel()` was called on the task; its `AbortSignal` fired with this error as its reason. */
export class TaskCancelledError extends ErrandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TASK_CANCELLED', message, options);
  }
}
