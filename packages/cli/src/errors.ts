/**
 * Exit codes. 64 is EX_USAGE from sysexits.h; 2 is never used because
 * Docker reserves it for a health check ("do not use this exit code").
 */
export const EXIT = { ok: 0, failure: 1, usage: 64 } as const;

/** Base of every error the CLI reports itself: one line for the user, and the exit code it means. */
export class CliError extends Error {
  readonly code: string;
  readonly exitCode: number;

  constructor(code: string, message: string, exitCode: number = EXIT.failure, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.exitCode = exitCode;
    this.name = new.target.name;
  }
}

/** A bad command line: unknown command or flag, a missing or malformed value. Exit 64. */
export class UsageError extends CliError {
  constructor(message: string) {
    super('ERR_USAGE', message, EXIT.usage);
  }
}

/** The backend package a store URL needs is not installed next to the CLI or in the project. */
export class MissingBackendError extends CliError {
  readonly packageName: string;

  constructor(packageName: string, scheme: string, options?: { cause?: unknown }) {
    super(
      'ERR_MISSING_BACKEND',
      `a ${scheme} store needs ${packageName}: run npm install ${packageName}`,
      EXIT.failure,
      options,
    );
    this.packageName = packageName;
  }
}

/** The store did not answer within `--timeout`. */
export class StoreTimeoutError extends CliError {
  constructor(what: string, ms: number) {
    super('ERR_STORE_TIMEOUT', `${what}: no answer from the store within ${formatSeconds(ms)}`);
  }
}

/** No task or job with that id. */
export class NotFoundError extends CliError {
  constructor(message: string) {
    super('ERR_NOT_FOUND', message);
  }
}

/** The task or job exists but the operation does not apply to it now (a running task, a success...). */
export class RefusedError extends CliError {
  constructor(message: string) {
    super('ERR_REFUSED', message);
  }
}

/** The operator answered no at a confirmation prompt. */
export class DeclinedError extends CliError {
  constructor() {
    super('ERR_DECLINED', 'nothing changed (not confirmed)');
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
