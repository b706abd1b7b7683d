// Raw pg: the same rows into a copy of Errand's table (LIKE ... INCLUDING
// ALL: same columns and indexes), one multi-row upsert statement per batch.
import pg from 'pg';
import { PG_URL } from '../services.mjs';
import { rowMaker } from './columns.mjs';

export async function createRawPostgres(namespace) {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  const table = `"${namespace}".raw_tasks`;
  await client.query(`CREATE TABLE ${table} (LIKE "${namespace}".errand_tasks INCLUDING ALL)`);
  const { rows } = await client.query(
    `SELECT column_name FROM information_schema.columns
     WHERE table_schema = $1 AND table_name = 'raw_tasks' AND is_generated = 'NEVER' ORDER BY ordinal_position`,
    [namespace],
  );
  const columns = rows.map((row) => row.column_name);
  const toRow = rowMaker(columns, { booleanAsNumber: false });
  const update = columns.map((c) => `${c} = EXCLUDED.${c}`).join(', ');
  return {
    label: 'pg: one multi-row INSERT ... ON CONFLICT (id) DO UPDATE per batch',
    async write(records) {
      const values = [];
      const tuples = records.map((record) => {
        const row = toRow(record);
        const start = values.length;
        values.push(...row);
        return `(${row.map((_, k) => `$${start + k + 1}`).join(', ')})`;
      });
      await client.query(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (id) DO UPDATE SET ${update}`,
        values,
      );
    },
    close: () => client.end(),
  };
}
