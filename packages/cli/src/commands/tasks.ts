import {
  cancelInStore,
  normalizeQuery,
  retryInStore,
  TASK_STATUSES,
  type TaskRecord,
  type TaskStatus,
  toPage,
} from '@errand/core';
import { confirm } from '../confirm.js';
import { EXIT, NotFoundError, UsageError } from '../errors.js';
import type { Printer } from '../io.js';
import { table } from '../output/table.js';
import type { Deadline } from '../store/deadline.js';
import type { Store } from '../store/open.js';
import { formatSpan, parseCount, parseSince } from '../values.js';
import { type CommandContext, stringFlag, withStore } from './context.js';

const DEFAULT_LIMIT = 20;

function statuses(text: string | undefined): TaskStatus[] | undefined {
  if (text === undefined) return undefined;
  const list = text.split(',').map((s) => s.trim());
  for (const status of list) {
    if (!TASK_STATUSES.includes(status as TaskStatus)) {
      throw new UsageError(`tasks list: --status "${status}" is not one of ${TASK_STATUSES.join(', ')}`);
    }
  }
  return list as TaskStatus[];
}

/** A record for output: arguments only when asked for (they may hold personal data). */
function shown(record: TaskRecord, showArgs: boolean): Record<string, unknown> {
  if (showArgs) return { ...record };
  const { args: _args, ...rest } = record;
  return rest;
}

function oneLine(text: string | null, max: number): string {
  if (!text) return '';
  const line = text.split('\n')[0]!;
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export async function tasksList(context: CommandContext): Promise<number> {
  const { values, print } = context;
  const limitText = stringFlag(values, 'limit');
  const sinceText = stringFlag(values, 'since');
  const query = {
    status: statuses(stringFlag(values, 'status')),
    name: stringFlag(values, 'name'),
    since: sinceText ? parseSince(sinceText, Date.now()) : undefined,
    limit: limitText ? parseCount('limit', limitText, 1000) : DEFAULT_LIMIT,
  };
  return withStore(context, async (store, deadline) => {
    const normalized = normalizeQuery(query);
    const [rows, now] = await deadline.race(
      'query',
      Promise.all([store.backend.query(normalized), store.backend.now()]),
    );
    const { records } = toPage(rows, normalized);
    if (values.json === true) {
      print.json(records.map((record) => shown(record, values['show-args'] === true)));
      return EXIT.ok;
    }
    if (records.length === 0) {
      print.line('no tasks match');
      return EXIT.ok;
    }
    const rowsOut = records.map((r) => [
      r.id,
      r.name,
      r.status,
      `${r.attempt}/${r.maxAttempts}`,
      `${formatSpan(now - r.createdAt).split(' ')[0]} ago`,
      r.duration === null ? '' : formatSpan(r.duration),
      oneLine(r.error, 60),
    ]);
    for (const line of table(['ID', 'NAME', 'STATUS', 'ATTEMPT', 'CREATED', 'TOOK', 'ERROR'], rowsOut)) {
      print.line(line);
    }
    return EXIT.ok;
  });
}

function time(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString();
}

function printTask(print: Printer, record: TaskRecord, showArgs: boolean): void {
  const fields: Array<[string, string]> = [
    ['id', record.id],
    ['name', record.name],
    ['status', record.status],
    ['attempt', `${record.attempt} of ${record.maxAttempts}`],
    ['owner', record.owner ?? '(none)'],
    ['created', time(record.createdAt)],
    ['run at', time(record.runAt)],
    ['started', time(record.startedAt)],
    ['finished', time(record.finishedAt)],
    ['took', record.duration === null ? '-' : formatSpan(record.duration)],
    ['queue', `${record.queue} (priority ${record.priority})`],
    ['expires', time(record.expiresAt)],
    [
      'tags',
      Object.entries(record.tags)
        .map(([key, value]) => `${key}=${value}`)
        .join(', ') || '-',
    ],
    ['key', record.idempotencyKey ?? '-'],
  ];
  if (record.progress !== null) fields.push(['progress', String(record.progress)]);
  if (showArgs) fields.push(['args', JSON.stringify(record.args)]);
  if (record.result !== null && record.result !== undefined)
    fields.push(['result', JSON.stringify(record.result)]);
  if (record.error) fields.push(['error', record.error]);
  for (const [name, value] of fields) print.line(`${name.padEnd(9)} ${value}`);
  if (record.stack) {
    print.line('stack');
    for (const line of record.stack.split('\n')) print.line(`  ${line}`);
  }
  if (record.logs.length > 0) {
    print.line('logs');
    for (const log of record.logs) {
      const fieldsText = log.fields ? ` ${JSON.stringify(log.fields)}` : '';
      print.line(`  ${new Date(log.at).toISOString()} ${log.message}${fieldsText}`);
    }
  }
}

/** The task named on the command line, or NotFoundError. */
async function loadTask(store: Store, deadline: Deadline, id: string): Promise<TaskRecord> {
  const record = await deadline.race('get', store.backend.get(id));
  if (!record) throw new NotFoundError(`no task with id ${id}`);
  return record;
}

/** The task, once the operator agreed to `verb` it (on a terminal only). */
async function confirmedTask(context: CommandContext, store: Store, deadline: Deadline, verb: string) {
  const id = context.positionals[0]!;
  const record = await loadTask(store, deadline, id);
  const question = `${verb} task ${id} (${record.name}, ${record.status})?`;
  await confirm(context.io, context.print, question, context.values.yes === true);
  return record;
}

export async function tasksShow(context: CommandContext): Promise<number> {
  const { values, print, positionals } = context;
  return withStore(context, async (store, deadline) => {
    const record = await loadTask(store, deadline, positionals[0]!);
    if (values.json === true) print.json(shown(record, values['show-args'] === true));
    else printTask(print, record, values['show-args'] === true);
    return EXIT.ok;
  });
}

export async function tasksRetry(context: CommandContext): Promise<number> {
  const { print, positionals } = context;
  const id = positionals[0]!;
  return withStore(context, async (store, deadline) => {
    const record = await confirmedTask(context, store, deadline, 'Retry');
    await deadline.race('retry', retryInStore(store.backend, id));
    print.line(`task ${id} is pending again: a live instance that defines ${record.name} will run it`);
    return EXIT.ok;
  });
}

/** How often `tasks cancel` looks whether the owning instance has acted on the request. */
const CANCEL_POLL_MS = 200;

/**
 * `errand tasks cancel`: through the store, so it reaches the instance that
 * holds the task. Pending work nobody runs is cancelled at once; a task a
 * live instance holds gets a cancel request that its next heartbeat picks
 * up (its signal is aborted there). The command waits, within --timeout,
 * to say which happened.
 */
export async function tasksCancel(context: CommandContext): Promise<number> {
  const { print, positionals } = context;
  const id = positionals[0]!;
  return withStore(context, async (store, deadline) => {
    const record = await confirmedTask(context, store, deadline, 'Cancel');
    const outcome = await deadline.race('cancel', cancelInStore(store.backend, id));
    if (outcome === 'missing') throw new NotFoundError(`no task with id ${id}`);
    if (outcome === 'finished') {
      print.line(`task ${id} had already finished; nothing to cancel`);
      return EXIT.failure;
    }
    if (outcome === 'cancelled') {
      print.line(`task ${id} cancelled`);
      return EXIT.ok;
    }
    // 'requested': the owner acts on it at its next heartbeat.
    const after = await waitUntilFinished(store.backend, id, deadline.remainingMs);
    if (after && after.status !== 'pending' && after.status !== 'running') {
      const what = after.status === 'cancelled' ? 'cancelled' : `finished first (${after.status})`;
      print.line(`task ${id} ${what} on instance ${record.owner}`);
    } else {
      print.line(`cancel of task ${id} requested: instance ${record.owner} aborts it at its next heartbeat`);
    }
    return EXIT.ok;
  });
}

async function waitUntilFinished(
  backend: { get(id: string): Promise<TaskRecord | null> },
  id: string,
  withinMs: number,
): Promise<TaskRecord | null> {
  const end = performance.now() + Math.max(0, withinMs - CANCEL_POLL_MS);
  let record = await backend.get(id);
  while (record && (record.status === 'pending' || record.status === 'running') && performance.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, CANCEL_POLL_MS));
    record = await backend.get(id);
  }
  return record;
}
