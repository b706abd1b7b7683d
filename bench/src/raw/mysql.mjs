// Raw mysql2: the same rows into a copy of Errand's table (CREATE TABLE
// LIKE: same columns and indexes), one multi-row upsert statement per batch.
import mysql from 'mysql2/promise';
import { mysqlUrlFor } from '../services.mjs';
import { rowMaker } from './columns.mjs';

export async function createRawMysql(namespace) {
  const conn = await mysql.createConnection(mysqlUrlFor(namespace));
  await conn.query('CREATE TABLE raw_tasks LIKE errand_tasks');
  const [rows] = await conn.query(
    `SELECT column_name AS c FROM information_schema.columns
     WHERE table_schema = ? AND table_name = 'raw_tasks' AND extra NOT LIKE '%GENERATED%' ORDER BY ordinal_position`,
    [namespace],
  );
  const columns = rows.map((row) => row.c);
  const toRow = rowMaker(columns, { booleanAsNumber: true });
  const update = columns.map((c) => `${c} = VALUES(${c})`).join(', ');
  const sql = `INSERT INTO raw_tasks (${columns.join(', ')}) VALUES ? ON DUPLICATE KEY UPDATE ${update}`;
  return {
    label: 'mysql2: one multi-row INSERT ... ON DUPLICATE KEY UPDATE per batch',
    async write(records) {
      await conn.query(sql, [records.map(toRow)]);
    },
    close: () => conn.end(),
  };
}
