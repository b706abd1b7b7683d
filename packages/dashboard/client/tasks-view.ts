import { getJson, type TaskSummary } from './api.js';
import { statusBadge } from './badges.js';
import { BulkAction } from './bulk-action.js';
import { fill, h } from './dom.js';
import { formatDuration, formatTime, shortId } from './format.js';
import type { LiveFeed } from './live.js';
import { onPrefsChange } from './state.js';
import { param, setParams } from './url-state.js';

const STATUSES = [
  'pending',
  'running',
  'success',
  'failed',
  'interrupted',
  'cancelled',
  'rejected',
  'expired',
];
const SINCE: Record<string, number> = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 };
const PAGE = 50;
/** Rows kept on screen when live tasks keep arriving. */
const MAX_ROWS = 500;

/**
 * The task list: server-side filters kept in the URL, pages by cursor, rows
 * updated in place and new tasks prepended live; "Pause" holds the list
 * still and counts what arrived meanwhile.
 */
export class TasksView {
  readonly element: HTMLElement;
  readonly #rows = new Map<string, { task: TaskSummary; row: HTMLTableRowElement }>();
  readonly #body = h('tbody');
  readonly #more = h('button', { type: 'button', class: 'btn', hidden: true }, 'Load more');
  readonly #empty = h('p', { class: 'empty', hidden: true }, 'No task matches these filters.');
  readonly #pauseButton = h(
    'button',
    { type: 'button', class: 'btn', 'aria-pressed': 'false' },
    'Pause live',
  );
  readonly #newCount = h('button', { type: 'button', class: 'btn new-count', hidden: true });
  readonly #search = h('input', {
    type: 'search',
    name: 'q',
    placeholder: 'Search id, name, error, key',
    'aria-label': 'Search',
  });
  readonly #status = h(
    'select',
    { name: 'status', 'aria-label': 'Status' },
    h('option', { value: '' }, 'Any status'),
  );
  readonly #name = h('input', {
    type: 'text',
    name: 'name',
    placeholder: 'Task name',
    'aria-label': 'Task name',
    list: 'task-names',
  });
  readonly #names = h('datalist', { id: 'task-names' });
  readonly #since = h(
    'select',
    { name: 'since', 'aria-label': 'Created since' },
    h('option', { value: '' }, 'Any time'),
  );
  readonly #tagChip = h('button', {
    type: 'button',
    class: 'btn chip',
    hidden: true,
    title: 'Remove this filter',
  });
  readonly #bulk = new BulkAction(() => void this.reload());
  readonly #open: (id: string) => void;
  #cursor: string | null = null;
  #paused = false;
  #missed = 0;
  #selected = -1;
  #loading = 0;

  constructor(live: LiveFeed, open: (id: string) => void) {
    this.#open = open;
    for (const status of STATUSES) this.#status.append(h('option', { value: status }, status));
    for (const key of Object.keys(SINCE)) this.#since.append(h('option', { value: key }, `Last ${key}`));
    const form = h(
      'form',
      { class: 'filters', role: 'search' },
      this.#status,
      this.#name,
      this.#names,
      this.#since,
      this.#search,
      h('button', { type: 'submit', class: 'btn primary' }, 'Filter'),
      this.#pauseButton,
      this.#newCount,
      this.#tagChip,
      this.#bulk.element,
    );
    this.#tagChip.addEventListener('click', () => {
      setParams({ tag: '' });
      void this.reload();
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#applyFilters();
    });
    for (const input of [this.#status, this.#since])
      input.addEventListener('change', () => this.#applyFilters());
    this.#pauseButton.addEventListener('click', () => this.togglePause());
    this.#newCount.addEventListener('click', () => this.togglePause());
    this.#more.addEventListener('click', () => void this.#load(false));
    const head = h(
      'tr',
      {},
      h('th', { scope: 'col' }, 'Status'),
      h('th', { scope: 'col' }, 'Task'),
      h('th', { scope: 'col', class: 'opt' }, 'Id'),
      h('th', { scope: 'col' }, 'Created'),
      h('th', { scope: 'col', class: 'opt' }, 'Duration'),
      h('th', { scope: 'col', class: 'opt' }, 'Attempt'),
      h('th', { scope: 'col', class: 'opt wide' }, 'Error'),
    );
    this.element = h(
      'section',
      { class: 'view tasks-view', 'aria-label': 'Tasks' },
      form,
      h('div', { class: 'table-wrap' }, h('table', { class: 'tasks' }, h('thead', {}, head), this.#body)),
      this.#empty,
      this.#more,
    );
    live.onTask((task) => this.#onLive(task));
    live.onReset(() => void this.reload());
    onPrefsChange(() => this.#rerender());
  }

  /** Reads the filters from the URL and loads the first page. */
  async reload(): Promise<void> {
    this.#status.value = param('status');
    this.#name.value = param('name');
    this.#search.value = param('q');
    this.#since.value = param('since');
    this.#bulk.update();
    this.#tagChip.hidden = !param('tag');
    fill(this.#tagChip, `tag ${param('tag')} ×`);
    this.#missed = 0;
    this.#renderPause();
    await this.#load(true);
  }

  focusSearch(): void {
    this.#search.focus();
    this.#search.select();
  }

  togglePause(): void {
    this.#paused = !this.#paused;
    if (!this.#paused && this.#missed > 0) void this.reload();
    this.#renderPause();
  }

  /** j / k: moves the keyboard selection; Enter opens it. */
  move(step: number): void {
    const rows = [...this.#body.rows];
    if (rows.length === 0) return;
    this.#selected = Math.max(0, Math.min(rows.length - 1, this.#selected + step));
    for (const [i, row] of rows.entries()) row.classList.toggle('selected', i === this.#selected);
    rows[this.#selected]!.scrollIntoView({ block: 'nearest' });
    rows[this.#selected]!.focus();
  }

  openSelected(): void {
    const row = this.#body.rows[this.#selected];
    if (row?.dataset.id) this.#open(row.dataset.id);
  }

  #applyFilters(): void {
    setParams({
      status: this.#status.value,
      name: this.#name.value.trim(),
      q: this.#search.value.trim(),
      since: this.#since.value,
    });
    void this.reload();
  }

  #query(): Record<string, string | undefined> {
    const since = SINCE[param('since')];
    return {
      status: param('status'),
      name: param('name'),
      tag: param('tag'),
      q: param('q'),
      since: since ? String(Date.now() - since) : undefined,
      limit: String(PAGE),
    };
  }

  async #load(first: boolean): Promise<void> {
    const ticket = ++this.#loading;
    const page = await getJson<{ records: TaskSummary[]; nextCursor: string | null }>('/tasks', {
      ...this.#query(),
      cursor: first ? undefined : (this.#cursor ?? undefined),
    });
    if (ticket !== this.#loading) return; // A newer load started meanwhile.
    if (first) {
      this.#rows.clear();
      this.#body.replaceChildren();
      this.#selected = -1;
    }
    for (const task of page.records) this.#body.append(this.#row(task));
    this.#cursor = page.nextCursor;
    this.#more.hidden = page.nextCursor === null;
    this.#empty.hidden = this.#rows.size > 0;
    this.#learnNames(page.records);
  }

  #row(task: TaskSummary): HTMLTableRowElement {
    const row = h(
      'tr',
      { 'data-id': task.id, 'data-status': task.status, tabindex: '-1' },
      h('td', {}, statusBadge(task.status)),
      h(
        'td',
        { class: 'name' },
        h('a', { href: `?view=tasks&task=${encodeURIComponent(task.id)}` }, task.name),
      ),
      h('td', { class: 'opt mono', title: task.id }, shortId(task.id)),
      h('td', { class: 'time' }, formatTime(task.createdAt)),
      h('td', { class: 'opt num' }, task.status === 'running' ? 'running…' : formatDuration(task.duration)),
      h('td', { class: 'opt num' }, `${task.attempt}/${task.maxAttempts}`),
      h('td', { class: 'opt wide error-text' }, task.error ?? ''),
    );
    row.addEventListener('click', (event) => {
      event.preventDefault();
      this.#open(task.id);
    });
    this.#rows.set(task.id, { task, row });
    return row;
  }

  #onLive(task: TaskSummary): void {
    const known = this.#rows.get(task.id);
    if (known) {
      // Events of one task may arrive out of order from two sources; the furthest state wins.
      if (task.attempt < known.task.attempt) return;
      if (this.#paused) return;
      known.row.replaceWith(this.#row(task));
      return;
    }
    if (!this.#matches(task)) return;
    if (this.#paused) {
      this.#missed++;
      this.#renderPause();
      return;
    }
    this.#body.prepend(this.#row(task));
    this.#empty.hidden = true;
    this.#learnNames([task]);
    while (this.#body.rows.length > MAX_ROWS) {
      const last = this.#body.rows[this.#body.rows.length - 1]!;
      this.#rows.delete(last.dataset.id!);
      last.remove();
    }
  }

  /** Whether a live task belongs in the list as filtered (a text search waits for a reload). */
  #matches(task: TaskSummary): boolean {
    if (param('q') || param('tag')) return false;
    const statuses = param('status').split(',').filter(Boolean);
    if (statuses.length > 0 && !statuses.includes(task.status)) return false;
    const names = param('name').split(',').filter(Boolean);
    if (names.length > 0 && !names.includes(task.name)) return false;
    const since = SINCE[param('since')];
    return !(since && task.createdAt < Date.now() - since);
  }

  #learnNames(tasks: TaskSummary[]): void {
    const known = new Set([...this.#names.options].map((option) => option.value));
    for (const task of tasks) {
      if (!known.has(task.name)) {
        known.add(task.name);
        this.#names.append(h('option', { value: task.name }));
      }
    }
  }

  #renderPause(): void {
    this.#pauseButton.textContent = this.#paused ? 'Resume live' : 'Pause live';
    this.#pauseButton.setAttribute('aria-pressed', String(this.#paused));
    this.#newCount.hidden = !this.#paused || this.#missed === 0;
    fill(this.#newCount, `+${this.#missed} new`);
  }

  #rerender(): void {
    for (const { task, row } of [...this.#rows.values()]) row.replaceWith(this.#row(task));
  }
}
