import { ErrandError } from '@errand/core';

/** A job definition is invalid (cron expression, time zone, interval, date...). `jobId` names it. */
export class InvalidJobError extends ErrandError {
  readonly jobId: string;

  constructor(jobId: string, message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_JOB', `job "${jobId}": ${message}`, options);
    this.jobId = jobId;
  }
}

/** Two jobs were declared with the same id. */
export class DuplicateJobError extends ErrandError {
  readonly jobId: string;

  constructor(jobId: string) {
    super('ERR_DUPLICATE_JOB', `a job with id "${jobId}" is already declared`);
    this.jobId = jobId;
  }
}

/** No job with this id exists. */
export class JobNotFoundError extends ErrandError {
  readonly jobId: string;

  constructor(jobId: string) {
    super('ERR_JOB_NOT_FOUND', `no job with id "${jobId}"`);
    this.jobId = jobId;
  }
}
