/**
 * Base class of every error Errand throws. `code` is stable across versions
 * and safe to switch on; `name` is the class name.
 */
export class ErrandError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}
