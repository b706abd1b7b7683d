import {
  type Aggregate,
  type AggregateRequest,
  type CancelOutcome,
  type ClaimRequest,
  decodeFields,
  emptyCounts,
  type FieldCodec,
  type HeartbeatReply,
  type InstanceInfo,
  InvalidStateError,
  type NormalizedTaskQuery,
  type PurgeRequest,
  type QueueOverride,
  type QueueOverridePatch,
  type ScheduleStore,
  type StatusCounts,
  type StoreCaller,
  TASK_FIELDS,
  type TaskRecord,
  type TaskStatus,
  type WriteHints,
  type WriteResult,
} from '@errand/core';
import { columnList } from './columns.js';
import { Params, type SqlDialect, type Statement } from './dialect.js';
import type { Awaitable, SqlDriver } from './driver.js';
import type { FlowTables } from './flow.js';
import { purgeStatement } from './flow.js';
import { historyCounts, historyPage } from './history.js';
import * as procedures from './procedures.js';
import { json, text } from './rows.js';
import { type JobTables, sqlScheduleStore } from './schedules.js';

/** The tables of one SQL store, as its statements name them (quoted, qualified). */
export type SqlTables = FlowTables & JobTables & { meta: string };

const TABLES = ['meta', 'tasks', 'instances', 'jobs', 'queues', 'counters', 'semaphores', 'locks'] as const;

/** Every table of a store, each named by `name` (which adds the prefix, the schema, the quotes). */
export function sqlTables(name: (table: string) => string): SqlTables {
  return Object.fromEntries(TABLES.map((table) => [table, name(table)])) as unknown as SqlTables;
}

/** What a SQL backend gives {@link SqlBackend}: its dialect, tables, calls and row codec. */
export interface SqlBackendParts {
  dialect: SqlDialect;
  tables: SqlTables;
  /** The backend's one `StoreCaller` (its `operationTimeout`, transient errors, `BackendError`). */
  caller: StoreCaller;
  /** How the driver's rows become records and jobs (and jobs become values to bind). */
  codec: FieldCodec;
  /** Ids per statement of `getMany()`; default 500 (placeholders per statement are bounded). */
  idsPerStatement?: number;
}

/**
 * The part of `SnapshotBackend` (and `ScheduleStore`) that is the same SQL on SQLite, PostgreSQL
 * and MySQL: every operation runs @errand/sql's statements or procedures through the store's
 * {@link SqlDriver}, in one `StoreCaller` call. A backend extends it with its connection and
 * lifecycle, and with what truly differs: `write()`, `claim()`, and any statement it does better
 * (PostgreSQL's one-round-trip heartbeat).
 */
export abstract class SqlBackend<D extends SqlDriver = SqlDriver> {
  /** The jobs of `@errand/scheduler` in the store's jobs table; usable once open. */
  readonly schedules: ScheduleStore;
  /** Every call of the backend goes through it (`open()` and `close()` too, where they can stall). */
  protected readonly caller: StoreCaller;
  readonly #parts: Required<SqlBackendParts>;
  readonly #columns = columnList(TASK_FIELDS);

  protected constructor(parts: SqlBackendParts) {
    this.#parts = { idsPerStatement: 500, ...parts };
    this.caller = parts.caller;
    this.schedules = sqlScheduleStore<D>({
      ...parts,
      call: (operation, work) => this.call(operation, work),
      write: (records) => this.writeProcedure(records),
    });
  }

  /** Short name for logs and errors (`'sqlite'`...). */
  abstract readonly name: string;
  /** Stores a batch by the rules of `SnapshotBackend.write()`. */
  abstract write(records: readonly TaskRecord[], hints?: WriteHints): Promise<WriteResult>;
  /** Claims unfinished work by the rules of `SnapshotBackend.claim()` (after the guard of {@link claim}). */
  protected abstract claimTasks(driver: D, request: ClaimRequest): Awaitable<TaskRecord[]>;
  /** The driver of one call, or null before `open()` and after `close()`. */
  protected abstract driver(): D | null;
  /** `write()` as a procedure, which a scheduler tick runs inside its own transaction. */
  protected abstract writeProcedure(records: readonly TaskRecord[]): procedures.Procedure<WriteResult>;

  /**
   * One store call: the open driver (taken once, so retries share its deadline), then `work`
   * bounded by `operationTimeout`, run again after transient errors, failures as `BackendError`.
   */
  protected call<T>(operation: string, work: (driver: D) => Awaitable<T>): Promise<T> {
    let driver: D;
    try {
      driver = this.ready(operation);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.caller.call(operation, async () => work(driver));
  }

  /** The driver for `operation`; `InvalidStateError` before `open()` and after `close()`. */
  protected ready(operation: string): D {
    const driver = this.driver();
    if (driver) return driver;
    throw new InvalidStateError(
      `${this.name} backend is not open: open() it before ${operation}(), not after close()`,
    );
  }

  /** A task row as the driver returns it, as a record. */
  protected task(row: Record<string, unknown>): TaskRecord {
    return decodeFields<TaskRecord>(TASK_FIELDS, row, this.#parts.codec);
  }

  async get(id: string): Promise<TaskRecord | null> {
    const { tasks } = this.#parts.tables;
    const get = this.#bind((p) => `SELECT ${this.#columns} FROM ${tasks} WHERE id = ${p.add(id)}`);
    const [row] = await this.#rows('get', get);
    return row ? this.task(row) : null;
  }

  async getMany(ids: readonly string[]): Promise<TaskRecord[]> {
    const { tables, dialect, idsPerStatement } = this.#parts;
    const many = () => procedures.getManyProcedure(tables, this.#columns, ids, dialect, idsPerStatement);
    return (await this.call('getMany', (d) => d.separately(many()))).map((row) => this.task(row));
  }

  async query(query: NormalizedTaskQuery): Promise<TaskRecord[]> {
    const { tables, dialect } = this.#parts;
    const rows = await this.#rows('query', () => historyPage(tables.tasks, this.#columns, query, dialect));
    return rows.map((row) => this.task(row));
  }

  async counts(query: NormalizedTaskQuery): Promise<StatusCounts> {
    const { tables, dialect } = this.#parts;
    const counts = emptyCounts();
    for (const row of await this.#rows('counts', () => historyCounts(tables.tasks, query, dialect)))
      counts[text(row.status) as TaskStatus] = Number(row.n);
    return counts;
  }

  /** Renews the heartbeat row on the store's clock, then reads the reply (cancel requests, queue overrides). */
  heartbeat(instanceId: string, ttlMs: number, meta: Record<string, unknown>): Promise<HeartbeatReply> {
    const { tables: t, dialect } = this.#parts;
    const { now, time, incoming } = dialect;
    const renew = ['expires_at', 'meta'].map((column) => `${column} = ${incoming(column)}`);
    const upsert = this.#bind(
      (p) => `INSERT INTO ${t.instances} (id, expires_at, started_at, meta)
      VALUES (${p.add(instanceId)}, ${now} + ${time(p.add(Math.round(ttlMs)))}, ${now}, ${p.add(JSON.stringify(meta ?? {}))})
      ${dialect.onConflict(['id'], renew)}`,
    );
    return this.call('heartbeat', (d) =>
      d.separately(procedures.heartbeatProcedure(t, upsert(), instanceId, dialect)),
    );
  }

  async removeInstance(instanceId: string): Promise<void> {
    const { instances } = this.#parts.tables;
    await this.#rows(
      'removeInstance',
      this.#bind((p) => `DELETE FROM ${instances} WHERE id = ${p.add(instanceId)}`),
    );
  }

  /** Every heartbeat row, alive or expired, in the order the instances started. */
  async instances(): Promise<InstanceInfo[]> {
    const { instances } = this.#parts.tables;
    const list = `SELECT id, expires_at, started_at, meta FROM ${instances} ORDER BY started_at, id`;
    return (
      await this.#rows(
        'instances',
        this.#bind(() => list),
      )
    ).map((row) => ({
      id: text(row.id),
      expiresAt: Number(row.expires_at),
      startedAt: Number(row.started_at),
      meta: json(row.meta) as Record<string, unknown>,
    }));
  }

  /** Takes nothing for no names or no room; otherwise the store's claim statement. */
  claim(request: ClaimRequest): Promise<TaskRecord[]> {
    if (request.names.length === 0 || !(request.limit >= 1)) return Promise.resolve([]);
    return this.call('claim', (d) => this.claimTasks(d, request));
  }

  /** The store's clock (epoch ms), the one heartbeats and claims judge leases by. */
  async now(): Promise<number> {
    return Number(
      (
        await this.#rows(
          'now',
          this.#bind(() => `SELECT ${this.#parts.dialect.now} AS now`),
        )
      )[0]!.now,
    );
  }

  cancel(id: string): Promise<CancelOutcome> {
    const { tables, dialect } = this.#parts;
    return this.#atomically('cancel', () => procedures.cancelProcedure(tables, id, dialect));
  }

  aggregate(request: AggregateRequest): Promise<Aggregate> {
    const { tables, dialect } = this.#parts;
    const aggregate = () => procedures.aggregateProcedure(tables.tasks, request, dialect);
    return this.call('aggregate', (d) => d.separately(aggregate()));
  }

  setQueueOverride(name: string, patch: QueueOverridePatch): Promise<QueueOverride | null> {
    const { tables, dialect } = this.#parts;
    return this.#atomically('setQueueOverride', () =>
      procedures.overrideProcedure(tables, name, patch, dialect),
    );
  }

  /** One transaction on the key's locked counter row: callers of one key queue there, on any instance. */
  acquire(key: string, holder: string, want: number, limit: number): Promise<number> {
    const { tables, dialect } = this.#parts;
    const acquire = () => procedures.acquireProcedure(tables, key, holder, want, limit, dialect);
    return this.#atomically('acquire', acquire);
  }

  /** Two statements, each atomic: an `acquire()` between them counts either state, both within the limit. */
  release(key: string, holder: string, count: number): Promise<void> {
    const { tables, dialect } = this.#parts;
    const release = () => procedures.releaseProcedure(tables, key, holder, count, dialect);
    return this.call('release', (d) => d.separately(release()));
  }

  /** One transaction on the bucket's locked row; it refills on the store's clock. */
  takeTokens(key: string, want: number, rate: { max: number; perMs: number }): Promise<number> {
    const { tables, dialect } = this.#parts;
    return this.#atomically('takeTokens', () =>
      procedures.takeTokensProcedure(tables, key, want, rate, dialect),
    );
  }

  /** One statement: at most `limit` finished records, oldest finished first. */
  async purge(request: PurgeRequest): Promise<number> {
    const { tables, dialect } = this.#parts;
    return this.call(
      'purge',
      async (d) => (await d.execute(purgeStatement(tables, request, dialect))).changes,
    );
  }

  /** Takes or renews the lease in one upsert, then reads whose it is. */
  tryLock(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const { tables, dialect } = this.#parts;
    const lock = () => procedures.tryLockProcedure(tables, name, holder, Math.round(ttlMs), dialect);
    return this.call('tryLock', (d) => d.separately(lock()));
  }

  /** A statement whose text never varies, bound anew for each run of the call. */
  #bind(sql: (p: Params) => string): () => Statement {
    return () => {
      const p = new Params(this.#parts.dialect);
      return { sql: sql(p), values: p.values, prepared: true };
    };
  }

  async #rows(
    operation: string,
    statement: () => Statement,
  ): Promise<ReadonlyArray<Record<string, unknown>>> {
    return (await this.call(operation, (d) => d.execute(statement()))).rows;
  }

  #atomically<T>(operation: string, procedure: () => procedures.Procedure<T>): Promise<T> {
    return this.call(operation, (d) => d.atomically(procedure(), { readCommitted: true }));
  }
}
