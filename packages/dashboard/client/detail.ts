import { act, getJson, postJson } from './api.js';
import { statusBadge } from './badges.js';
import { fill, h } from './dom.js';
import { formatDuration, formatTime } from './format.js';
import type { LiveFeed } from './live.js';
import { can, config, onPrefsChange } from './state.js';
import { linkTo, param, setParams } from './url-state.js';

interface Attempt {
  number: number;
  startedAt: number | null;
  finishedAt: number | null;
  duration: number | null;
  instance: string | null;
  error: string | null;
}

interface TaskDetail {
  id: string;
  name: string;
  status: string;
  queue: string;
  priority: number;
  tags: Record<string, string>;
  attempt: number;
  maxAttempts: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  duration: number | null;
  runAt: number;
  error: string | null;
  stack: string | null;
  logs: Array<{ at: number; message: string; fields?: Record<string, unknown> }>;
  progress: number | null;
  idempotencyKey: string | null;
  owner: string | null;
  attempts: Attempt[];
  args?: unknown[];
  result?: unknown;
}

const RETRYABLE = ['failed', 'interrupted', 'cancelled', 'rejected'];

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? 'undefined';
}

/**
 * The side panel of one task: timing, attempts, logs, error and stack,
 * arguments when the server shows them, retry / cancel, and a permalink.
 * It follows the task live while open.
 */
export class DetailPanel {
  readonly element = h('aside', {
    class: 'detail',
    hidden: true,
    'aria-label': 'Task detail',
    tabindex: '-1',
  });
  #id: string | null = null;
  #task: TaskDetail | null = null;
  #refresh: ReturnType<typeof setTimeout> | null = null;

  constructor(live: LiveFeed) {
    live.onTask((task) => {
      if (task.id !== this.#id || this.#refresh) return;
      this.#refresh = setTimeout(() => {
        this.#refresh = null;
        void this.#load();
      }, 150);
    });
    onPrefsChange(() => this.#task && this.#render(this.#task));
  }

  get isOpen(): boolean {
    return this.#id !== null;
  }

  /** Opens a task (and puts it in the URL, so the address is its permalink). */
  open(id: string, push = true): void {
    if (param('task') !== id) setParams({ task: id }, push);
    this.#id = id;
    this.element.hidden = false;
    fill(this.element, h('p', { class: 'muted' }, 'Loading…'));
    void this.#load().then(() => this.element.focus());
  }

  close(): void {
    if (!this.#id) return;
    this.#id = null;
    this.#task = null;
    this.element.hidden = true;
    setParams({ task: '' });
  }

  async retry(): Promise<void> {
    const task = this.#task;
    if (!task || !can('retry') || !RETRYABLE.includes(task.status)) return;
    if (await act(`Retry ${task.name}`, () => postJson(`/tasks/${encodeURIComponent(task.id)}/retry`)))
      await this.#load();
  }

  async cancel(): Promise<void> {
    const task = this.#task;
    if (!task || !can('cancel') || !['pending', 'running'].includes(task.status)) return;
    if (await act(`Cancel ${task.name}`, () => postJson(`/tasks/${encodeURIComponent(task.id)}/cancel`)))
      await this.#load();
  }

  async #load(): Promise<void> {
    const id = this.#id;
    if (!id) return;
    try {
      const task = await getJson<TaskDetail>(`/tasks/${encodeURIComponent(id)}`);
      if (id !== this.#id) return;
      this.#task = task;
      this.#render(task);
    } catch (error) {
      if (id !== this.#id) return;
      fill(
        this.element,
        this.#closeButton(),
        h('p', { class: 'error-text' }, error instanceof Error ? error.message : String(error)),
      );
    }
  }

  #closeButton(): HTMLElement {
    return h(
      'button',
      { type: 'button', class: 'btn close', 'aria-label': 'Close detail', onclick: () => this.close() },
      '×',
    );
  }

  #render(task: TaskDetail): void {
    const actions = h('div', { class: 'actions' });
    if (can('retry') && RETRYABLE.includes(task.status)) {
      actions.append(
        h('button', { type: 'button', class: 'btn primary', onclick: () => void this.retry() }, 'Retry'),
      );
    }
    if (can('cancel') && (task.status === 'pending' || task.status === 'running')) {
      actions.append(
        h('button', { type: 'button', class: 'btn danger', onclick: () => void this.cancel() }, 'Cancel'),
      );
    }
    actions.append(h('a', { class: 'btn', href: linkTo({ view: 'tasks', task: task.id }) }, 'Permalink'));

    const facts: Array<[string, string]> = [
      ['Id', task.id],
      ['Created', formatTime(task.createdAt)],
      ['Run at', formatTime(task.runAt)],
      ['Started', formatTime(task.startedAt)],
      ['Finished', formatTime(task.finishedAt)],
      ['Duration', formatDuration(task.duration)],
      ['Attempt', `${task.attempt} of ${task.maxAttempts}`],
      ['Instance', task.owner ?? '—'],
      ['Queue', `${task.queue} (priority ${task.priority})`],
      ['Idempotency key', task.idempotencyKey ?? '—'],
      [
        'Tags',
        Object.keys(task.tags).length > 0
          ? Object.entries(task.tags)
              .map(([key, value]) => `${key}=${value}`)
              .join(', ')
          : '—',
      ],
      ['Progress', task.progress === null ? '—' : String(task.progress)],
    ];
    const list = h('dl', { class: 'facts' });
    for (const [label, value] of facts) list.append(h('dt', {}, label), h('dd', {}, value));

    const attempts = h(
      'table',
      { class: 'attempts' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, '#'),
          h('th', {}, 'Started'),
          h('th', {}, 'Ended'),
          h('th', {}, 'Took'),
          h('th', {}, 'Instance'),
          h('th', {}, 'Error'),
        ),
      ),
    );
    const attemptRows = h('tbody');
    for (const attempt of task.attempts) {
      attemptRows.append(
        h(
          'tr',
          {},
          h('td', {}, String(attempt.number)),
          h('td', {}, attempt.startedAt === null ? 'not recorded' : formatTime(attempt.startedAt)),
          h('td', {}, formatTime(attempt.finishedAt)),
          h('td', {}, formatDuration(attempt.duration)),
          h('td', { class: 'mono' }, attempt.instance ?? '—'),
          h('td', { class: 'error-text' }, attempt.error ?? ''),
        ),
      );
    }
    attempts.append(attemptRows);

    const logs = h('ol', { class: 'logs' });
    for (const line of task.logs) {
      logs.append(
        h(
          'li',
          {},
          h('span', { class: 'time' }, formatTime(line.at)),
          ' ',
          h('span', { class: 'message' }, line.message),
          line.fields ? h('code', { class: 'fields' }, ` ${JSON.stringify(line.fields)}`) : null,
        ),
      );
    }

    fill(
      this.element,
      this.#closeButton(),
      h('h2', {}, task.name, ' ', statusBadge(task.status)),
      actions,
      list,
      task.error
        ? h('section', {}, h('h3', {}, 'Error'), h('pre', { class: 'error-text' }, task.error))
        : null,
      task.stack
        ? h('details', {}, h('summary', {}, 'Stack trace'), h('pre', { class: 'stack' }, task.stack))
        : null,
      h('section', {}, h('h3', {}, 'Attempts'), attempts),
      h(
        'section',
        {},
        h('h3', {}, `Logs (${task.logs.length})`),
        task.logs.length > 0 ? logs : h('p', { class: 'muted' }, 'No log lines.'),
      ),
      'args' in task
        ? h(
            'section',
            {},
            h('h3', {}, 'Arguments'),
            h('pre', { class: 'args' }, json(task.args)),
            h('h3', {}, 'Result'),
            h('pre', { class: 'args' }, json(task.result)),
          )
        : config.displayArgs
          ? null
          : h('p', { class: 'muted' }, 'Arguments are hidden (displayArgs is off).'),
    );
  }
}
