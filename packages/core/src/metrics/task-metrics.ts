import type { TaskEvents, TaskSnapshot } from '../events.js';
import type { TaskStatus } from '../model/task-record.js';
import type { MetricFamily } from './exposition.js';
import { Counter, Histogram } from './instruments.js';

/** Default buckets of the duration and wait histograms, in seconds (5 ms to 10 min). */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
]);

/** What task metrics listen to: the manager's `on`. */
export interface EventSource {
  on<E extends keyof TaskEvents>(event: E, listener: TaskEvents[E]): unknown;
}

const FINAL: ReadonlyArray<Extract<TaskStatus, keyof TaskEvents>> = [
  'success',
  'failed',
  'interrupted',
  'cancelled',
  'expired',
  'rejected',
];

/**
 * The metrics this instance counts from its own events, since it started
 * (sum them over instances): tasks that reached a final status, attempt
 * durations, and how long each attempt waited once due.
 */
export class TaskMetrics {
  readonly #finished = new Counter(['queue', 'name', 'status']);
  readonly #duration: Histogram;
  readonly #wait: Histogram;
  /** Queues seen in events, so their gauges appear even when not declared. */
  readonly queues = new Set<string>(['default']);

  constructor(source: EventSource, buckets: readonly number[]) {
    this.#duration = new Histogram(['queue', 'name'], buckets);
    this.#wait = new Histogram(['queue', 'name'], buckets);
    for (const status of FINAL) {
      source.on(status, ((task: TaskSnapshot) => {
        this.queues.add(task.queue);
        this.#finished.inc([task.queue, task.name, status]);
        if ((status === 'success' || status === 'failed') && task.duration !== null) {
          this.#duration.observe([task.queue, task.name], task.duration / 1000);
        }
      }) as TaskEvents[typeof status]);
    }
    source.on('retrying', (task) => {
      if (task.duration !== null) this.#duration.observe([task.queue, task.name], task.duration / 1000);
    });
    source.on('started', (task) => {
      this.queues.add(task.queue);
      if (task.startedAt !== null) {
        this.#wait.observe([task.queue, task.name], Math.max(0, task.startedAt - task.runAt) / 1000);
      }
    });
  }

  families(): MetricFamily[] {
    return [
      {
        name: 'errand_tasks_total',
        help: 'Tasks that reached a final status in this instance, by queue, name and status.',
        type: 'counter',
        samples: this.#finished.samples(),
      },
      {
        name: 'errand_task_duration_seconds',
        help: 'Duration of task attempts that ended (success, failure, retry), in seconds.',
        type: 'histogram',
        samples: this.#duration.samples(),
      },
      {
        name: 'errand_task_wait_seconds',
        help: 'Time from when an attempt was due to when it started, in seconds.',
        type: 'histogram',
        samples: this.#wait.samples(),
      },
    ];
  }
}
