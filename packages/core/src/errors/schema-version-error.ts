import { ErrandError } from './errand-error.js';

/** The store was migrated by a newer Errand whose schema this version cannot use. */
export class SchemaVersionError extends ErrandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SCHEMA_VERSION', message, options);
  }
}
