import { ErrandError } from './errand-error.js';

/**
 * A queue already holds `maxSize` pending tasks: the enqueue is refused. The
 * refused task is kept in history as `rejected` (`taskId`), so what was
 * turned away stays visible.
 */
export class QueueFullError extends ErrandError {
  readonly queue: string;
  readonly taskId: string;

  constructor(queue: string, maxSize: number, taskId: string) {
    super('ERR_QUEUE_FULL', `queue "${queue}" is full: ${maxSize} pending task(s) already wait`);
    this.queue = queue;
    this.taskId = taskId;
  }
}
