import { ErrandError } from './errand-error.js';

/**
 * The store is at a schema version this package cannot use: migrated by a
 * newer Errand, or (opened `readOnly`) not created or not migrated yet.
 */
export class SchemaVersionError extends ErrandError {
  /** The version the store holds (0: no Errand store there), when known. */
  readonly found: number | null;
  /** The version this package reads and writes, when known. */
  readonly expected: number | null;

  constructor(
    message: string,
    options?: { cause?: unknown; found?: number | null; expected?: number | null },
  ) {
    super(
      'ERR_SCHEMA_VERSION',
      message,
      options && 'cause' in options ? { cause: options.cause } : undefined,
    );
    this.found = options?.found ?? null;
    this.expected = options?.expected ?? null;
  }
}
