import type { TaskPage } from '@errand/core';
import { badRequest, forbidden, jsonResponse, notFound } from '../http/responses.js';
import type { Capability } from '../options.js';
import { logAction, type RouteContext } from './context.js';
import { toDetail, toSummary } from './record-view.js';
import { cancelOne, retryOne, toHttpError } from './task-actions.js';
import { findTasks, parseFilter } from './task-filter.js';

/** `GET /api/tasks`: one page of the whole fleet's history, newest first. */
export async function listTasks(context: RouteContext): Promise<Response> {
  const filter = parseFilter(context.url.searchParams);
  const page = await findTasks(context.options.manager, filter, context.hub.knownNames());
  return jsonResponse({
    records: page.records.map((record) => toSummary(record, context.options)),
    nextCursor: page.nextCursor,
  });
}

/** `GET /api/tasks/:id`: the record itself (after `redact`, args only with `displayArgs`). */
export async function getTask(context: RouteContext): Promise<Response> {
  const record = await context.options.manager.get(context.params.id!);
  if (!record) throw notFound('ERR_TASK_NOT_FOUND', `no task with id ${context.params.id}`);
  return jsonResponse(toDetail(record, context.options));
}

export async function retryTask(context: RouteContext): Promise<Response> {
  const id = context.params.id!;
  await retryOne(context.options.manager, id);
  logAction(context, 'retry', { taskId: id });
  return jsonResponse({ ok: true });
}

export async function cancelTask(context: RouteContext): Promise<Response> {
  const id = context.params.id!;
  await cancelOne(context.options.manager, id);
  logAction(context, 'cancel', { taskId: id });
  return jsonResponse({ ok: true });
}

const MAX_BODY = 256 * 1024;

async function readJson(request: Request): Promise<Record<string, unknown>> {
  const type = request.headers.get('content-type') ?? '';
  if (!type.includes('application/json'))
    throw badRequest('the body must be JSON (content-type: application/json)');
  const text = await request.text();
  if (text.length > MAX_BODY) throw badRequest(`the body is larger than ${MAX_BODY} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest('the body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('the body must be a JSON object');
  return body as Record<string, unknown>;
}

/**
 * `POST /api/tasks/bulk` `{ action, ids?, filter? }`: retries or cancels the
 * listed tasks, or those matching the filter, at most `bulkLimit` of them
 * (more ids is a 400; a filter matching more touches the newest `bulkLimit`
 * and says `truncated`). Tasks whose state does not allow it are counted in
 * `matched`, not in `done`.
 */
export async function bulkAction(context: RouteContext): Promise<Response> {
  const body = await readJson(context.request);
  const action = body.action;
  if (action !== 'retry' && action !== 'cancel') throw badRequest('action must be "retry" or "cancel"');
  if (!context.capabilities.has(action as Capability)) {
    throw forbidden('ERR_FORBIDDEN', `this login may not ${action} tasks`);
  }
  const limit = context.options.bulkLimit;
  let ids: string[];
  let truncated = false;
  if (body.ids !== undefined) {
    if (!Array.isArray(body.ids) || !body.ids.every((id) => typeof id === 'string')) {
      throw badRequest('ids must be an array of task ids');
    }
    if (body.ids.length > limit) throw badRequest(`at most ${limit} ids per bulk action`);
    ids = [...new Set(body.ids as string[])];
  } else if (body.filter !== undefined) {
    if (typeof body.filter !== 'object' || body.filter === null) throw badRequest('filter must be an object');
    const fields = body.filter as Record<string, unknown>;
    const filter = parseFilter({
      get: (key) => (fields[key] === undefined ? undefined : String(fields[key])),
    });
    ({ ids, truncated } = await idsMatching(context, filter, limit));
  } else {
    throw badRequest('give ids or filter');
  }
  const run = action === 'retry' ? retryOne : cancelOne;
  let done = 0;
  const refused: Record<string, number> = {};
  for (const id of ids) {
    try {
      await run(context.options.manager, id);
      done++;
    } catch (error) {
      const http = toHttpError(error);
      if (!http || http.status >= 500) throw error;
      refused[http.code] = (refused[http.code] ?? 0) + 1;
    }
  }
  logAction(context, `bulk ${action}`, { matched: ids.length, done, truncated });
  return jsonResponse({ matched: ids.length, done, truncated, refused });
}

async function idsMatching(
  context: RouteContext,
  filter: ReturnType<typeof parseFilter>,
  limit: number,
): Promise<{ ids: string[]; truncated: boolean }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let page: TaskPage;
  do {
    page = await findTasks(
      context.options.manager,
      { ...filter, cursor, limit: Math.min(200, limit - ids.length) },
      context.hub.knownNames(),
    );
    for (const record of page.records) ids.push(record.id);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && ids.length < limit);
  return { ids, truncated: cursor !== undefined };
}
