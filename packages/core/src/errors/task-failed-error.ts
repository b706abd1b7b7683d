import type { TaskRecord, TaskStatus } from '../model/task-record.js';
import { ErrandError } from './errand-error.js';

/**
 * What `result()` rejects with when a task ended without success (failed,
 * interrupted, rejected): its message is the task's last error, `record`
 * the record as it ended (stack, logs, attempts).
 */
export class TaskFailedError extends ErrandError {
  readonly taskId: string;
  readonly status: TaskStatus;
  readonly record: TaskRecord;

  constructor(record: TaskRecord) {
    super('ERR_TASK_FAILED', record.error ?? `task ${record.id} ended ${record.status}`);
    this.taskId = record.id;
    this.status = record.status;
    this.record = record;
  }
}
