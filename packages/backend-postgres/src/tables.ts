import { InvalidOptionError } from '@errand/core';

/** Fully quoted names of everything the backend creates, built once per backend. */
export interface Tables {
  /** Unquoted schema name, for catalog lookups. */
  schemaName: string;
  schema: string;
  meta: string;
  tasks: string;
  instances: string;
  /** Jobs of `@errand/scheduler` (schema version 2). */
  jobs: string;
  /** Prefix for index names, which PostgreSQL scopes to the schema, not the table. */
  indexPrefix: string;
  /** Stable text whose hash keys the migration advisory lock and names prepared statements. */
  lockKey: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
// The longest suffix appended to the prefix is `tasks_idempotency_key_holder`; PostgreSQL
// silently truncates identifiers past 63 bytes, which could make two index names collide.
const MAX_PREFIX = 32;

function quote(identifier: string): string {
  return `"${identifier}"`;
}

export function tableNames(schema: string, prefix: string): Tables {
  if (!IDENTIFIER.test(schema) || schema.length > 63) {
    throw new InvalidOptionError(
      `schema must be a plain identifier of at most 63 characters, got "${schema}"`,
    );
  }
  if (prefix !== '' && (!IDENTIFIER.test(prefix) || prefix.length > MAX_PREFIX)) {
    throw new InvalidOptionError(
      `tablePrefix must be letters, digits and underscores (at most ${MAX_PREFIX}), got "${prefix}"`,
    );
  }
  const qualified = (name: string) => `${quote(schema)}.${quote(prefix + name)}`;
  return {
    schemaName: schema,
    schema: quote(schema),
    meta: qualified('meta'),
    tasks: qualified('tasks'),
    instances: qualified('instances'),
    jobs: qualified('jobs'),
    indexPrefix: prefix,
    lockKey: `errand:${schema}.${prefix}`,
  };
}
