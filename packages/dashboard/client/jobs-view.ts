import { act, getJson, postJson } from './api.js';
import { statusBadge } from './badges.js';
import { fill, h } from './dom.js';
import { formatRelative, formatTime } from './format.js';
import { can, onPrefsChange } from './state.js';

interface Job {
  id: string;
  taskName: string;
  schedule: string;
  timezone: string | null;
  nextRunAt: number | null;
  nextRunIn: string;
  lastRunAt: number | null;
  lastOutcome: string | null;
  paused: boolean;
  orphaned: boolean;
  activeRuns: number;
  missedRuns?: number;
  skippedRuns?: number;
}

/** Scheduled jobs in words with their next run, last outcome, flags, and pause / resume / run now. */
export class JobsView {
  readonly element = h('section', { class: 'view jobs-view', 'aria-label': 'Scheduled jobs' });
  #jobs: Job[] = [];

  constructor() {
    onPrefsChange(() => this.#render());
  }

  async refresh(): Promise<void> {
    this.#jobs = await getJson<Job[]>('/jobs');
    this.#render();
  }

  async #action(job: Job, action: 'pause' | 'resume' | 'run'): Promise<void> {
    const label =
      action === 'run' ? `Run ${job.id} now` : `${action === 'pause' ? 'Pause' : 'Resume'} ${job.id}`;
    if (await act(label, () => postJson(`/jobs/${encodeURIComponent(job.id)}/${action}`)))
      await this.refresh();
  }

  #render(): void {
    if (this.#jobs.length === 0) {
      fill(this.element, h('p', { class: 'empty' }, 'No scheduled job.'));
      return;
    }
    const body = h('tbody');
    const now = Date.now();
    for (const job of this.#jobs) {
      const flags = h('td', { class: 'flags' });
      if (job.paused) flags.append(h('span', { class: 'badge s-cancelled' }, 'paused'));
      if (job.orphaned)
        flags.append(
          h(
            'span',
            { class: 'badge s-failed', title: 'Stored, but no running code declares it: it never fires' },
            'orphaned',
          ),
        );
      if (job.activeRuns > 0)
        flags.append(h('span', { class: 'badge s-running' }, `${job.activeRuns} running`));
      if (job.missedRuns) flags.append(h('span', { class: 'badge s-missed' }, `${job.missedRuns} missed`));
      if (job.skippedRuns)
        flags.append(h('span', { class: 'badge s-skipped' }, `${job.skippedRuns} skipped`));
      const actions = h('td', { class: 'row-actions' });
      if (can('jobs')) {
        actions.append(
          job.paused
            ? h(
                'button',
                { type: 'button', class: 'btn', onclick: () => void this.#action(job, 'resume') },
                'Resume',
              )
            : h(
                'button',
                { type: 'button', class: 'btn', onclick: () => void this.#action(job, 'pause') },
                'Pause',
              ),
          h(
            'button',
            {
              type: 'button',
              class: 'btn primary',
              disabled: job.orphaned,
              onclick: () => void this.#action(job, 'run'),
            },
            'Run now',
          ),
        );
      }
      body.append(
        h(
          'tr',
          { 'data-job': job.id },
          h(
            'td',
            {},
            h('strong', {}, job.id),
            h(
              'div',
              { class: 'muted' },
              job.taskName,
              ' · ',
              h('a', { href: `?tag=${encodeURIComponent(`job:${job.id}`)}` }, 'runs'),
            ),
          ),
          h(
            'td',
            {},
            job.schedule,
            job.nextRunAt !== null && !job.paused && !job.orphaned
              ? ` → ${formatRelative(job.nextRunAt, now)}`
              : ` → ${job.nextRunIn}`,
          ),
          h('td', { class: 'time' }, formatTime(job.nextRunAt)),
          h(
            'td',
            {},
            job.lastRunAt === null ? '—' : formatTime(job.lastRunAt),
            ' ',
            job.lastOutcome ? statusBadge(job.lastOutcome) : null,
          ),
          flags,
          actions,
        ),
      );
    }
    fill(
      this.element,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'Job'),
              h('th', {}, 'Schedule'),
              h('th', {}, 'Next run'),
              h('th', {}, 'Last run'),
              h('th', {}, 'State'),
              h('th', {}, ''),
            ),
          ),
          body,
        ),
      ),
    );
  }
}
