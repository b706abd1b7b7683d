import type { Tables } from '../tables.js';
import { initialSchema } from './001-initial.js';
import { jobsSchema } from './002-jobs.js';

/**
 * Every schema change, in order. Migration `n` (1-based) brings the store to
 * schema version `n`. Append only: a released migration is never edited.
 */
export const MIGRATIONS: ReadonlyArray<(tables: Tables) => string> = [initialSchema, jobsSchema];

/** The schema version this build of the package writes and understands. */
export const SCHEMA_VERSION = MIGRATIONS.length;
