import type { SqlDialect } from './dialect.js';

/** A JSON path to one object key, quoted so any key is safe: `$."odd \"key\""`. */
function jsonPath(key: string): string {
  return `$.${JSON.stringify(key)}`;
}

/** better-sqlite3: `?` placeholders, `instr()` substring tests, booleans as 0/1, row values. */
export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  placeholder: () => '?',
  inList: (column, values, params) => `${column} IN (${values.map((value) => params.add(value)).join(', ')})`,
  time: (placeholder) => placeholder,
  // instr(), not LIKE: no wildcard in the user's text can widen the match.
  contains: (column, needle, params) => `instr(lower(${column}), ${params.add(needle)}) > 0`,
  before: (createdAt, id, params) => `(created_at, id) < (${params.add(createdAt)}, ${params.add(id)})`,
  isTrue: (column) => `${column} = 1`,
  concat: (...parts) => parts.join(' || '),
  // better-sqlite3 binds every JS number as a REAL, and REAL division keeps the fraction.
  intDiv: (dividend, divisor) => `(${dividend} / CAST(${divisor} AS INTEGER))`,
  now: "CAST(unixepoch('subsec') * 1000 AS INTEGER)",
  tagsMatch: (column, tags, params) =>
    Object.entries(tags)
      .map(([key, value]) => `json_extract(${column}, ${params.add(jsonPath(key))}) = ${params.add(value)}`)
      .join(' AND '),
  incoming: (column) => `excluded.${column}`,
  onConflict: (keys, assignments) =>
    `ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${assignments.join(', ')}`,
  forUpdate: '',
  bool: (value) => (value ? '1' : '0'),
  quote: (identifier) => `"${identifier}"`,
  returning: true,
};

/** pg: `$n` placeholders, arrays bound whole, BIGINT casts, `strpos()` substring tests. */
export const postgresDialect: SqlDialect = {
  name: 'postgres',
  placeholder: (n) => `$${n}`,
  inList: (column, values, params) => `${column} = ANY(${params.add(values)}::text[])`,
  time: (placeholder) => `${placeholder}::bigint`,
  contains: (column, needle, params) => `strpos(lower(${column}), ${params.add(needle)}) > 0`,
  before: (createdAt, id, params) =>
    `(created_at, id) < (${params.add(createdAt)}::bigint, ${params.add(id)})`,
  isTrue: (column) => column,
  concat: (...parts) => parts.join(' || '),
  intDiv: (dividend, divisor) => `(${dividend} / ${divisor}::bigint)`,
  // Containment of the whole object: one bound value, however many pairs.
  tagsMatch: (column, tags, params) => `${column}::jsonb @> ${params.add(JSON.stringify(tags))}::jsonb`,
  incoming: (column) => `EXCLUDED.${column}`,
  onConflict: (keys, assignments) =>
    `ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${assignments.join(', ')}`,
  forUpdate: ' FOR UPDATE',
  bool: (value) => (value ? 'true' : 'false'),
  quote: (identifier) => `"${identifier}"`,
  returning: true,
  // clock_timestamp(), not now(): now() is frozen at the start of the transaction,
  // and leases compare against the moment of the statement.
  now: '(extract(epoch FROM clock_timestamp()) * 1000)::bigint',
};

/**
 * mysql2 (MySQL 8, MariaDB 10.6+): `?` placeholders with arrays expanded by
 * the driver, `LOCATE()` substring tests, booleans as 0/1.
 */
export const mysqlDialect: SqlDialect = {
  name: 'mysql',
  placeholder: () => '?',
  inList: (column, values, params) => `${column} IN (${params.add(values)})`,
  time: (placeholder) => placeholder,
  // LOWER() on both sides makes the test case-insensitive; COLLATE utf8mb4_bin keeps it
  // accent-sensitive (MySQL 8 gives CONVERT's result the charset's default collation,
  // utf8mb4_0900_ai_ci, which would equate 'u' and 'ü'); LOCATE, not LIKE, so no
  // wildcard in the user's text can widen the match.
  contains: (column, needle, params) =>
    `LOCATE(${params.add(needle)}, LOWER(CONVERT(${column} USING utf8mb4)) COLLATE utf8mb4_bin) > 0`,
  // Spelled out rather than a row value, so both servers use the index range.
  before: (createdAt, id, params) =>
    `created_at <= ${params.add(createdAt)} AND (created_at < ${params.add(createdAt)} OR id < ${params.add(id)})`,
  isTrue: (column) => `${column} = 1`,
  concat: (...parts) => `CONCAT(${parts.join(', ')})`,
  intDiv: (dividend, divisor) => `(${dividend} DIV ${divisor})`,
  tagsMatch: (column, tags, params) => `JSON_CONTAINS(${column}, ${params.add(JSON.stringify(tags))})`,
  incoming: (column) => `VALUES(${column})`,
  onConflict: (_keys, assignments) => `ON DUPLICATE KEY UPDATE ${assignments.join(', ')}`,
  forUpdate: ' FOR UPDATE',
  bool: (value) => (value ? '1' : '0'),
  quote: (identifier) => `\`${identifier}\``,
  // MariaDB has INSERT ... RETURNING, MySQL 8 has not.
  returning: false,
  // UTC_TIMESTAMP, not NOW(): the session time zone must not move the clock.
  now: "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000)",
};

/** For a dialect's own tests: every dialect, by name. */
export const DIALECTS: Record<SqlDialect['name'], SqlDialect> = {
  sqlite: sqliteDialect,
  postgres: postgresDialect,
  mysql: mysqlDialect,
};
