import type { Aggregate, AggregateRequest, TaskStatus } from '@errand/core';
import { Params, type SqlDialect, type Statement } from './dialect.js';
import { text } from './rows.js';
import { claimableSql, FINISHED_SQL } from './statuses.js';

/** The three reads of `aggregate()`: each lands on an index (finished time, status). */
export interface AggregateStatements {
  /** Rows of `start, status, n`. */
  finished: Statement;
  /** Rows of `name, duration`. */
  durations: Statement;
  /** One row of `oldest` (null when nothing is pending). */
  oldestPending: Statement;
}

export function aggregateStatements(
  table: string,
  request: AggregateRequest,
  dialect: SqlDialect,
): AggregateStatements {
  const counts = new Params(dialect);
  const bucket = counts.add(request.bucketMs);
  const start = `${dialect.intDiv('finished_at', bucket)} * ${counts.add(request.bucketMs)}`;
  const since = dialect.time(counts.add(request.since));
  const until = dialect.time(counts.add(request.until));
  const samples = new Params(dialect);
  return {
    finished: {
      sql: `SELECT ${start} AS start, status, COUNT(*) AS n FROM ${table}
        WHERE finished_at >= ${since} AND finished_at < ${until} AND status IN ${FINISHED_SQL}
          AND NOT ${claimableSql(dialect)}
        GROUP BY 1, 2 ORDER BY 1, 2`,
      values: counts.values,
    },
    durations: {
      sql: `SELECT name, duration FROM ${table}
        WHERE status = 'success' AND finished_at >= ${dialect.time(samples.add(request.since))}
          AND finished_at < ${dialect.time(samples.add(request.until))} AND duration IS NOT NULL
        ORDER BY finished_at DESC, id DESC LIMIT ${samples.add(request.durationSample)}`,
      values: samples.values,
    },
    oldestPending: {
      sql: `SELECT MIN(created_at) AS oldest FROM ${table} WHERE status = 'pending'`,
      values: [],
    },
  };
}

/** Turns the three statements' rows (whatever types the driver returns) into an `Aggregate`. */
export function aggregateFromRows(
  finished: ReadonlyArray<Record<string, unknown>>,
  durations: ReadonlyArray<Record<string, unknown>>,
  oldest: Record<string, unknown> | undefined,
): Aggregate {
  return {
    finished: finished.map((row) => ({
      start: Number(row.start),
      status: text(row.status) as TaskStatus,
      count: Number(row.n),
    })),
    durations: durations.map((row) => ({ name: text(row.name), duration: Number(row.duration) })),
    oldestPendingAt: oldest?.oldest === null || oldest?.oldest === undefined ? null : Number(oldest.oldest),
  };
}
