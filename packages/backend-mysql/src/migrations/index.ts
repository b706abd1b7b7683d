import type { Tables } from '../tables.js';
import { initial } from './001-initial.js';
import { jobs } from './002-jobs.js';

/**
 * One schema step. Append-only: a released migration never changes, a new
 * one gets the next number. Statements must be idempotent, because MySQL
 * commits DDL implicitly and a crash can leave a step half applied.
 */
export interface Migration {
  version: number;
  description: string;
  statements(tables: Tables): string[];
}

export const MIGRATIONS: readonly Migration[] = [initial, jobs];

/** The schema version this package writes and understands. */
export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
