/** What one due job should do at `now`. */
export interface TickInput {
  /** The stored next run time (due: <= now). */
  nextRunAt: number;
  now: number;
  /** The job's next fire time strictly after a time, or null. */
  next: (after: number) => number | null;
  misfireGraceTime: number | null;
  coalesce: boolean;
  maxCatchUp: number;
  /** How many more runs may start (maxInstances minus runs still going). */
  capacity: number;
}

export interface TickPlan {
  /** Ticks that get a run. */
  run: number[];
  /** Ticks recorded as missed: too late, or folded into a coalesced run, or beyond maxCatchUp. */
  missed: number[];
  /** Ticks recorded as skipped: maxInstances runs were still going. */
  skipped: number[];
  /** The latest handled tick. */
  lastTick: number;
  /** The first tick after `now`. */
  nextRunAt: number | null;
}

const MAX_ENUMERATED = 1000;

/**
 * The misfire policy as a pure function. Every due tick ends up in exactly
 * one of `run`, `missed` or `skipped`, so nothing is dropped silently:
 * - later than `misfireGraceTime` (null: no limit): missed;
 * - of the rest, `coalesce` runs only the latest (the others are missed),
 *   otherwise the latest `maxCatchUp` each run;
 * - runs beyond `capacity` (maxInstances) are skipped.
 */
export function planTick(input: TickInput): TickPlan {
  const due: number[] = [];
  let tick: number | null = input.nextRunAt;
  while (tick !== null && tick <= input.now && due.length < MAX_ENUMERATED) {
    due.push(tick);
    tick = input.next(tick);
  }
  const nextRunAt = tick !== null && tick <= input.now ? input.next(input.now) : tick;
  const grace = input.misfireGraceTime;
  const missed = grace === null ? [] : due.filter((t) => input.now - t > grace);
  const inTime = grace === null ? due : due.filter((t) => input.now - t <= grace);
  const keep = input.coalesce ? 1 : input.maxCatchUp;
  const wanted = inTime.slice(-keep);
  missed.push(...inTime.slice(0, inTime.length - wanted.length));
  const capacity = Math.max(0, input.capacity);
  const run = capacity >= wanted.length ? wanted : wanted.slice(wanted.length - capacity);
  const skipped = wanted.slice(0, wanted.length - run.length);
  missed.sort((a, b) => a - b);
  return { run, missed, skipped, lastTick: due[due.length - 1] ?? input.nextRunAt, nextRunAt };
}
