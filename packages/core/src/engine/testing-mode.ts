import type { TaskRecord } from '../model/task-record.js';
import type { Engine } from './engine.js';

/** `manager.testing`: what unit tests of code that enqueues need to see. */
export interface TestingHelpers {
  /** Records enqueued (still in memory), oldest first; only those of `name` when given. */
  enqueued(name?: string): TaskRecord[];
  /** Resolves once no task runs, waits or is delayed (at most `timeout` ms, default 10000). */
  drain(timeout?: number): Promise<void>;
}

export function testingHelpers(engine: Engine): TestingHelpers {
  return {
    enqueued(name) {
      const records = engine.list({ name, limit: 1000 }).records;
      return records.reverse();
    },
    async drain(timeout = 10_000) {
      const deadline = Date.now() + timeout;
      while (engine.dispatcher.running + engine.dispatcher.queued + engine.dispatcher.delayed > 0) {
        if (Date.now() > deadline) throw new Error(`drain: tasks still running after ${timeout} ms`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}
