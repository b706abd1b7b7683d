import { createHash } from 'node:crypto';
import { InvalidOptionError } from '@errand/core';
import { sqlTables } from '@errand/sql';

/** Quoted names of everything the backend creates (`schemaName` unquoted, for the catalog). */
export type Tables = ReturnType<typeof tableNames>;

export function tableNames(schema: string, prefix: string) {
  const invalid = (what: string, max: number, got: string) =>
    new InvalidOptionError(`${what} must be an identifier of at most ${max} characters, got "${got}"`);
  if (!/^[A-Za-z_]\w{0,62}$/.test(schema)) throw invalid('schema', 63, schema);
  // At most 32: PostgreSQL truncates identifiers past 63 bytes, and with the longest suffix
  // (`tasks_idempotency_key_holder`) a longer prefix could make two index names collide.
  if (!/^([A-Za-z_]\w{0,31})?$/.test(prefix)) throw invalid('tablePrefix', 32, prefix);
  const tables = sqlTables((name) => `"${schema}"."${prefix}${name}"`);
  // Index names are scoped to the schema, not the table: they carry the prefix too.
  const index = (name: string) => `"${prefix}${name}"`;
  // Channels are database-wide: a hash of schema and prefix keeps stores from waking each other,
  // and the name short (a longer one would be truncated at 63 bytes).
  const channel = `"errand_${createHash('sha1').update(`${schema}.${prefix}`).digest('hex').slice(0, 24)}"`;
  return { ...tables, schemaName: schema, index, channel, lockKey: `errand:${schema}.${prefix}` };
}
