import { ErrandError } from './errand-error.js';

/** `result()` gave up: the task had not finished within the `timeout` asked for. It keeps running. */
export class ResultTimeoutError extends ErrandError {
  readonly taskId: string;

  constructor(taskId: string, timeoutMs: number) {
    super('ERR_RESULT_TIMEOUT', `task ${taskId} did not finish within ${timeoutMs} ms`);
    this.taskId = taskId;
  }
}
