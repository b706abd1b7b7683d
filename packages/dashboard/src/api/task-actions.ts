import { ErrandError, type TaskManager } from '@errand/core';
import { HttpError } from '../errors.js';
import { conflict, notFound } from '../http/responses.js';

/**
 * Core's typed errors as HTTP answers: an unknown task is 404, a state that
 * does not allow the action is 409, a store outage 503.
 */
export function toHttpError(error: unknown): HttpError | null {
  if (error instanceof HttpError) return error;
  if (!(error instanceof ErrandError)) return null;
  switch (error.code) {
    case 'ERR_TASK_NOT_FOUND':
    case 'ERR_JOB_NOT_FOUND':
      return new HttpError(404, error.code, error.message);
    case 'ERR_INVALID_STATE':
    case 'ERR_UNKNOWN_TASK':
    case 'ERR_DUPLICATE_TASK':
      return new HttpError(409, error.code, error.message);
    case 'ERR_BACKEND':
    case 'ERR_LEASE_LOST':
    case 'ERR_SHUTDOWN':
      return new HttpError(503, error.code, error.message);
    case 'ERR_INVALID_OPTION':
    case 'ERR_INVALID_ARGS':
      return new HttpError(400, error.code, error.message);
    default:
      return null;
  }
}

/** Retries a task; 404 unknown, 409 when its state (or this instance) does not allow it. */
export async function retryOne(manager: TaskManager, id: string): Promise<void> {
  await manager.retry(id);
}

/**
 * Cancels a task. `cancel()` answers false when there was nothing to
 * cancel: the record then tells whether that is a 404 or a 409.
 */
export async function cancelOne(manager: TaskManager, id: string): Promise<void> {
  if (await manager.cancel(id)) return;
  const record = await manager.get(id);
  if (!record) throw notFound('ERR_TASK_NOT_FOUND', `no task with id ${id}`);
  if (record.status === 'pending' || record.status === 'running') {
    throw conflict(
      'ERR_INVALID_STATE',
      `task ${id} is ${record.status} on instance ${record.owner ?? 'none'}; this instance cannot cancel it`,
    );
  }
  throw conflict(
    'ERR_INVALID_STATE',
    `task ${id} is ${record.status}; only pending or running tasks can be cancelled`,
  );
}
