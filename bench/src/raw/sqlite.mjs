// Raw better-sqlite3: the same rows into a copy of Errand's table (same
// columns and indexes), one prepared upsert per row inside one transaction
// per batch.
import Database from 'better-sqlite3';
import { sqlitePathFor } from '../services.mjs';
import { rowMaker } from './columns.mjs';

export async function createRawSqlite(namespace) {
  const db = new Database(sqlitePathFor(namespace));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const schema = db
    .prepare(`SELECT sql FROM sqlite_master WHERE tbl_name = 'errand_tasks' AND sql IS NOT NULL`)
    .all();
  db.exec(schema.map((row) => `${row.sql.replaceAll('errand_tasks', 'raw_tasks')};`).join('\n'));
  const columns = db
    .prepare(`SELECT name FROM pragma_table_xinfo('raw_tasks') WHERE hidden = 0`)
    .all()
    .map((row) => row.name);
  const upsert = db.prepare(
    `INSERT INTO raw_tasks (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ` +
      `ON CONFLICT (id) DO UPDATE SET ${columns.map((c) => `${c} = excluded.${c}`).join(', ')}`,
  );
  const toRow = rowMaker(columns, { booleanAsNumber: true });
  const writeBatch = db.transaction((records) => {
    for (const record of records) upsert.run(toRow(record));
  });
  return {
    label: 'better-sqlite3: prepared upsert per row, one transaction per batch',
    async write(records) {
      writeBatch(records);
    },
    async close() {
      db.close();
    },
  };
}
