import type { SnapshotBackend } from '../index.js';

/** A backend whose calls can be made to fail, as a real outage would look to the instance using it. */
export interface FaultyBackend {
  backend: SnapshotBackend;
  /** From now on every call fails at once: the instance looks dead (like SIGKILL), the process lives on. */
  crash(): void;
  /**
   * For `ms` from now the instance is cut off from the store: calls made
   * meanwhile hang until the cut ends and then fail, like a network blip
   * with timeouts. Calls started before the cut are left alone.
   */
  cutFor(ms: number): Promise<void>;
}

/** Wraps `backend` (a real one) so a test can take it away from one instance. */
export function faulty(backend: SnapshotBackend): FaultyBackend {
  let crashed = false;
  let cutUntil: Promise<void> | null = null;
  const proxy = new Proxy(backend, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (crashed) throw new Error('simulated crash');
        if (cutUntil) {
          await cutUntil;
          throw new Error('simulated network cut');
        }
        return value.apply(target, args);
      };
    },
  });
  return {
    backend: proxy,
    crash: () => {
      crashed = true;
    },
    cutFor: (ms) => {
      const ends = new Promise<void>((resolve) => setTimeout(resolve, ms));
      cutUntil = ends;
      return ends.then(() => {
        if (cutUntil === ends) cutUntil = null;
      });
    },
  };
}

/** One attempt as the task itself saw it: when it started and when it stopped working. */
export interface AttemptSpan {
  taskId: string;
  instanceId: string;
  attempt: number;
  start: number;
  end: number | null;
  outcome: 'returned' | 'aborted' | null;
}

/**
 * Records every attempt of the tasks a test defines, from inside the task:
 * the task works until `workMs` passes or its signal aborts, whichever
 * comes first. Two spans of one task on two instances that overlap mean
 * two live instances ran it at once.
 */
export class AttemptLog {
  readonly spans: AttemptSpan[] = [];

  /** A task body that works for `workMs` (or until aborted) and logs its span. */
  body(instanceId: string, workMs: number) {
    return async (ctx: { id: string; attempt: number; signal: AbortSignal }) => {
      const span: AttemptSpan = {
        taskId: ctx.id,
        instanceId,
        attempt: ctx.attempt,
        start: performance.now(),
        end: null,
        outcome: null,
      };
      this.spans.push(span);
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, workMs);
          ctx.signal.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              reject(ctx.signal.reason);
            },
            { once: true },
          );
        });
        span.outcome = 'returned';
      } catch (error) {
        span.outcome = 'aborted';
        throw error;
      } finally {
        span.end = performance.now();
      }
    };
  }

  /** Spans of `taskId`, in start order. */
  of(taskId: string): AttemptSpan[] {
    return this.spans.filter((span) => span.taskId === taskId).sort((a, b) => a.start - b.start);
  }

  /** Pairs of spans of one task, on two instances, that overlap in time (should be none). */
  overlaps(): Array<[AttemptSpan, AttemptSpan]> {
    const found: Array<[AttemptSpan, AttemptSpan]> = [];
    for (const a of this.spans) {
      for (const b of this.spans) {
        if (a === b || a.taskId !== b.taskId || a.instanceId >= b.instanceId) continue;
        const aEnd = a.end ?? Number.POSITIVE_INFINITY;
        const bEnd = b.end ?? Number.POSITIVE_INFINITY;
        if (a.start < bEnd && b.start < aEnd) found.push([a, b]);
      }
    }
    return found;
  }
}
