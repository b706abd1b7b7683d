import { ErrandError } from './errand-error.js';

/** An option passed to a constructor, `define()` or `enqueue()` is out of range or of the wrong type. */
export class InvalidOptionError extends ErrandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_OPTION', message, options);
  }
}
