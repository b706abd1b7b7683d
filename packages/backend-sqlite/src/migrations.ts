/**
 * Schema changes, append-only and numbered. Each runs once, in order, inside
 * the `BEGIN IMMEDIATE` transaction of `open()`, so two processes opening a
 * fresh file at once never both apply one. The SQL is inlined: nothing is
 * read from disk at run time.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; sql: (prefix: string) => string }> = [
  {
    version: 1,
    sql: (p) => `
      CREATE TABLE ${p}tasks (
        id TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        queue TEXT NOT NULL DEFAULT 'default',
        priority INTEGER NOT NULL DEFAULT 0,
        tags TEXT NOT NULL DEFAULT '[]',
        args TEXT NOT NULL,
        status TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        max_attempts INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER,
        duration INTEGER,
        run_at INTEGER NOT NULL,
        error TEXT,
        stack TEXT,
        logs TEXT NOT NULL DEFAULT '[]',
        progress REAL,
        result TEXT,
        idempotency_key TEXT,
        owner TEXT,
        requeue_on_interrupt INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;
      CREATE INDEX ${p}tasks_created ON ${p}tasks (created_at DESC, id DESC);
      CREATE INDEX ${p}tasks_status ON ${p}tasks (status, created_at DESC, id DESC);
      CREATE INDEX ${p}tasks_name ON ${p}tasks (name, created_at DESC, id DESC);
      CREATE UNIQUE INDEX ${p}tasks_active_key ON ${p}tasks (idempotency_key)
        WHERE idempotency_key IS NOT NULL AND status IN ('pending', 'running', 'success', 'interrupted');
      CREATE INDEX ${p}tasks_key ON ${p}tasks (idempotency_key) WHERE idempotency_key IS NOT NULL;
      CREATE INDEX ${p}tasks_unfinished ON ${p}tasks (created_at, id)
        WHERE status IN ('pending', 'running', 'interrupted');
      CREATE TABLE ${p}instances (
        id TEXT PRIMARY KEY NOT NULL,
        expires_at INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        meta TEXT NOT NULL DEFAULT '{}'
      );
    `,
  },
  {
    // @errand/scheduler's jobs. JSON columns for the trigger, options and
    // active runs; the partial index holds only the jobs that can fire, in
    // the order `due()` reads them.
    version: 2,
    sql: (p) => `
      CREATE TABLE ${p}jobs (
        id TEXT PRIMARY KEY NOT NULL,
        task_name TEXT NOT NULL,
        "trigger" TEXT NOT NULL,
        definition_hash TEXT NOT NULL,
        options TEXT NOT NULL DEFAULT '{}',
        next_run_at INTEGER,
        last_run_at INTEGER,
        last_outcome TEXT,
        paused INTEGER NOT NULL DEFAULT 0,
        orphaned INTEGER NOT NULL DEFAULT 0,
        active_runs TEXT NOT NULL DEFAULT '[]',
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX ${p}jobs_due ON ${p}jobs (next_run_at, id)
        WHERE next_run_at IS NOT NULL AND paused = 0 AND orphaned = 0;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
