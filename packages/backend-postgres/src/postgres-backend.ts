import * as core from '@errand/core';
import { overrideFromRow, postgresDialect, SqlBackend } from '@errand/sql';
import pg from 'pg';
import * as connection from './connection.js';
import { migrate } from './migrations/index.js';
import { PG_CODEC } from './row.js';
import { claimStatement } from './sql/claim.js';
import { heartbeatStatement } from './sql/instances.js';
import { planRounds, writeRounds, writeStatement } from './sql/write.js';
import { type Tables, tableNames } from './tables.js';
import { listen } from './watch.js';

const CAPABILITIES = { multiProcess: true, schedules: true, retention: true, notify: true };

/**
 * A `SnapshotBackend` on PostgreSQL (12 or later) through `pg`, shared by every instance on the
 * same schema and prefix: `new PostgresBackend(process.env.DATABASE_URL!, { schema: 'jobs' })`.
 */
export class PostgresBackend extends SqlBackend<connection.PostgresPool> implements core.SnapshotBackend {
  /** Shared by processes on any host; holds scheduler jobs, purges history, wakes instances (NOTIFY). */
  static readonly capabilities: core.BackendCapabilities = Object.freeze(CAPABILITIES);
  readonly name = 'postgres';
  readonly capabilities = PostgresBackend.capabilities;
  readonly #settings: ReturnType<typeof connection.settings>;
  readonly #tables: Tables;
  readonly #sql: { write: string; heartbeat: string };
  readonly #watchers = new Set<() => Promise<void>>();
  #db: connection.PostgresPool | null = null;
  #logger: core.Logger | null = null;

  /** `options` win over the same keys in `connection`. */
  constructor(target: connection.PostgresConnection, options: connection.PostgresBackendOptions = {}) {
    const settings = connection.settings(target, options);
    const tables = tableNames(settings.schema, settings.prefix);
    const caller = connection.storeCaller(settings.timeout);
    // One array parameter per 1,000 ids.
    super({ dialect: postgresDialect, tables, caller, codec: PG_CODEC, idsPerStatement: 1000 });
    [this.#settings, this.#tables] = [settings, tables];
    this.#sql = { write: writeStatement(tables), heartbeat: heartbeatStatement(tables) };
  }

  /** Connects, then creates or migrates the tables; a wrong URL or password rejects with a `BackendError`. */
  async open(context: core.BackendContext): Promise<void> {
    if (this.#db) return;
    const { pool, config } = this.#settings;
    const db = new connection.PostgresPool(pool ?? new pg.Pool(config), !pool, context.logger);
    try {
      const { from } = await this.caller.call('open', () =>
        migrate(db, this.#tables, context.migrate === false),
      );
      if (from === 0)
        context.logger.info('postgres: created the Errand tables', { schema: this.#tables.schemaName });
    } catch (error) {
      await db.close(this.caller.timeout);
      throw error;
    }
    [this.#db, this.#logger] = [db, context.logger];
  }

  /** Stops its watchers, ends the pool it created within about `operationTimeout`; a given pool stays open. */
  async close(): Promise<void> {
    const db = this.#db;
    this.#db = null;
    await Promise.all([...this.#watchers].map((stop) => stop()));
    this.#watchers.clear();
    await db?.close(this.caller.timeout);
  }

  /** One statement unless a key is named twice; then its rounds in one transaction. Atomic either way. */
  async write(records: readonly core.TaskRecord[]): Promise<core.WriteResult> {
    const rounds = planRounds(records);
    return this.call('write', (db) => {
      if (rounds.length === 0) return { conflicts: [], fenced: [] };
      const write = writeRounds(this.#sql.write, rounds);
      return rounds.length === 1 ? db.separately(write) : db.atomically(write);
    });
  }

  /** One statement: the renewal, this instance's cancel requests and every queue override. */
  override async heartbeat(
    instanceId: string,
    ttlMs: number,
    meta: Record<string, unknown>,
  ): Promise<core.HeartbeatReply> {
    const values = [instanceId, Math.round(ttlMs), JSON.stringify(meta ?? {})];
    const statement = { sql: this.#sql.heartbeat, values, prepared: true };
    const [reply] = (await this.call('heartbeat', (db) => db.execute(statement))).rows;
    return {
      cancelRequests: reply!.cancelRequests as string[],
      queues: (reply!.queues as []).map(overrideFromRow),
    };
  }

  /** `NOTIFY` on this store's channel (named after its schema and prefix). */
  async notify(): Promise<void> {
    await this.call('notify', (db) => db.execute({ sql: `NOTIFY ${this.#tables.channel}`, values: [] }));
  }

  /**
   * LISTENs on a connection of its own, which reconnects with backoff when it drops and then calls
   * `onWork` (notifications may have been missed). Rejects when the first LISTEN fails (the manager
   * then polls). Stopped by the returned function, or by `close()`.
   */
  async watch(onWork: () => void): Promise<() => Promise<void>> {
    const db = this.ready('watch');
    const connect = () => db.dedicated(this.caller.timeout);
    const stop = await this.caller.call('watch', () =>
      core.keepSubscribed({
        store: 'postgres',
        logger: this.#logger!,
        open: (lost) => listen(connect, this.#tables.channel, onWork, lost),
        reconnected: onWork,
      }),
    );
    this.#watchers.add(stop);
    return () => {
      this.#watchers.delete(stop);
      return stop();
    };
  }

  protected async claimTasks(
    db: connection.PostgresPool,
    request: core.ClaimRequest,
  ): Promise<core.TaskRecord[]> {
    return (await db.execute(claimStatement(this.#tables, request))).rows.map((row) => this.task(row));
  }

  protected writeProcedure(records: readonly core.TaskRecord[]) {
    return writeRounds(this.#sql.write, planRounds(records));
  }

  protected driver(): connection.PostgresPool | null {
    return this.#db;
  }
}
