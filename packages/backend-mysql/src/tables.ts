import { InvalidOptionError } from '@errand/core';
import { type SqlTables, sqlTables } from '@errand/sql';

/** The backtick-quoted names of one backend's tables, and their prefix. */
export type Tables = SqlTables & { prefix: string };

// Interpolated into SQL: no quoting needed, and room for a suffix in MySQL's 64 characters.
export function tablesFor(prefix: string): Tables {
  const message = `mysql: tablePrefix must be 0-40 of A-Z a-z 0-9 _, got ${JSON.stringify(prefix)}`;
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9_]{0,40}$/.test(prefix))
    throw new InvalidOptionError(message);
  return { ...sqlTables((table) => `\`${prefix}${table}\``), prefix };
}
