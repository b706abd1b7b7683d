import { ErrandError } from './errand-error.js';

/** An attempt ran longer than its `timeout`; the task’s `AbortSignal` fired with this error as its reason. */
export class TaskTimeoutError extends ErrandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TASK_TIMEOUT', message, options);
  }
}
