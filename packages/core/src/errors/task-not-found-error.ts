import { ErrandError } from './errand-error.js';

/** No task with this id exists in memory or in the backend. */
export class TaskNotFoundError extends ErrandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TASK_NOT_FOUND', message, options);
  }
}
