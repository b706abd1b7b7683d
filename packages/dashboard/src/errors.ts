import { ErrandError } from '@errand/core';

/** An option of `createDashboard()` or `basicAuth()` is invalid. */
export class DashboardOptionError extends ErrandError {
  constructor(message: string) {
    super('ERR_DASHBOARD_OPTION', message);
  }
}

/**
 * A request the API refuses, with the HTTP status and the stable `code`
 * it answers as JSON `{ error: code, message }`.
 */
export class HttpError extends ErrandError {
  readonly status: number;

  constructor(status: number, code: string, message: string) {
    super(code, message);
    this.status = status;
  }
}
