import { ErrandError } from './errand-error.js';

/**
 * The store cannot answer a query as asked, and says so rather than answer
 * wrongly: a filter looks inside a field that is encrypted at rest (the
 * store holds only ciphertext, so every match would silently be missed).
 * `field` names the filter.
 */
export class QueryRefusedError extends ErrandError {
  readonly field: string;

  constructor(field: string, message: string) {
    super('ERR_QUERY_REFUSED', message);
    this.field = field;
  }
}
