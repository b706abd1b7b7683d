// Fills Errand's task table fast with finished records, for the retention
// workload: copies of one real record (written by Errand itself, so every
// column is in the store's own format) made by the store in multi-row
// INSERT ... SELECT statements of `CHUNK` rows, each with its own id and
// times `base + g` ms (g = 1..n). Works on whatever columns the table has.
// A copy's id keeps the length of a task id: the template's first 27
// characters, then 'x' (never in a UUID) and g on 8 digits.

const CHUNK = 100_000;

/** The SELECT expression of each column: new id and times, the rest copied. */
function expressions(columns, { id, at }) {
  return columns.map((column) => {
    if (column === 'id') return id;
    if (['created_at', 'started_at', 'run_at'].includes(column)) return at;
    if (column === 'finished_at') return `${at} + 1`;
    return `t.${column}`;
  });
}

async function chunks(n, fn) {
  for (let from = 1; from <= n; from += CHUNK) await fn(from, Math.min(n, from + CHUNK - 1));
}

async function postgres(namespace, templateId, n, base) {
  const pg = (await import('pg')).default;
  const { PG_URL } = await import('../services.mjs');
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT column_name FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = 'errand_tasks' AND is_generated = 'NEVER' ORDER BY ordinal_position`,
      [namespace],
    );
    const columns = rows.map((row) => row.column_name);
    const select = expressions(columns, {
      id: `left(t.id, 27) || 'x' || lpad(g::text, 8, '0')`,
      at: '($2::bigint + g)',
    });
    const table = `"${namespace}".errand_tasks`;
    await chunks(n, (from, to) =>
      client.query(
        `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${select.join(', ')}
         FROM ${table} t, generate_series($3::bigint, $4::bigint) g WHERE t.id = $1`,
        [templateId, base, from, to],
      ),
    );
    // What autovacuum would do within a minute of such an insert; the checkpoint
    // keeps the insert's own disk writes out of the enqueue latencies measured next.
    await client.query(`ANALYZE ${table}`);
    await client.query('CHECKPOINT').catch(() => {});
  } finally {
    await client.end();
  }
}

async function mysql(namespace, templateId, n, base) {
  const driver = await import('mysql2/promise');
  const { mysqlUrlFor } = await import('../services.mjs');
  const conn = await driver.createConnection(mysqlUrlFor(namespace));
  try {
    const [rows] = await conn.query(
      `SELECT column_name AS c FROM information_schema.columns
       WHERE table_schema = ? AND table_name = 'errand_tasks' AND extra NOT LIKE '%GENERATED%' ORDER BY ordinal_position`,
      [namespace],
    );
    const columns = rows.map((row) => row.c);
    const select = expressions(columns, {
      id: `CONCAT(LEFT(t.id, 27), 'x', LPAD(g.seq, 8, '0'))`,
      at: `(${base} + g.seq)`,
    });
    // MariaDB's sequence engine: seq_1_to_N is a table of the integers 1..N.
    await chunks(n, (from, to) =>
      conn.query(
        `INSERT INTO errand_tasks (${columns.join(', ')}) SELECT ${select.join(', ')}
         FROM errand_tasks t JOIN seq_${from}_to_${to} g WHERE t.id = ?`,
        [templateId],
      ),
    );
  } finally {
    await conn.end();
  }
}

async function sqlite(namespace, templateId, n, base) {
  const Database = (await import('better-sqlite3')).default;
  const { sqlitePathFor } = await import('../services.mjs');
  const db = new Database(sqlitePathFor(namespace));
  try {
    db.pragma('busy_timeout = 10000');
    const columns = db
      .prepare(`SELECT name FROM pragma_table_xinfo('errand_tasks') WHERE hidden = 0`)
      .all()
      .map((row) => row.name);
    const select = expressions(columns, {
      id: `substr(t.id, 1, 27) || 'x' || printf('%08d', g.n)`,
      at: `(${base} + g.n)`,
    });
    const insert = db.prepare(
      `WITH RECURSIVE g(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM g WHERE n < ?)
       INSERT INTO errand_tasks (${columns.join(', ')}) SELECT ${select.join(', ')}
       FROM errand_tasks t, g WHERE t.id = ?`,
    );
    await chunks(n, async (from, to) => {
      insert.run(from, to, templateId);
    });
  } finally {
    db.close();
  }
}

/** @type {Record<string, (namespace: string, templateId: string, n: number, base: number) => Promise<void>>} */
export const PREFILLERS = { postgres, mysql, sqlite };
