import { getJson } from './api.js';
import { fill, h } from './dom.js';
import { formatDuration, formatNumber, formatPercent } from './format.js';

export interface Instance {
  id: string;
  expiresAt: number;
  startedAt: number;
  meta: Record<string, unknown>;
  health: 'live' | 'quiet' | 'stopped';
}

export interface OverviewData {
  counts: Record<string, number>;
  throughput: {
    perMinute: number;
    lastHour: Record<string, number>;
    successRate: number | null;
    failedLastHour: number;
  };
  oldestPendingAgeMs: number | null;
  instances: Instance[];
  backend: { name: string; healthy: boolean };
  alerts: Array<{ code: string; message: string }>;
  now: number;
}

/**
 * The cards at the top (totals, success rate, throughput, oldest pending,
 * failures in the last hour) and the health badge, loud only when something
 * is wrong: no live instance, the store down, or a schedule nobody fires.
 */
export class OverviewCards {
  readonly element = h('section', { class: 'cards', 'aria-label': 'Overview' });
  readonly badge = h('span', { class: 'health', role: 'status' });
  readonly alerts = h('div', { class: 'alerts', role: 'alert', hidden: true });
  last: OverviewData | null = null;

  async refresh(): Promise<OverviewData> {
    const data = await getJson<OverviewData>('/overview');
    this.last = data;
    this.#render(data);
    return data;
  }

  #card(label: string, value: string, tone = ''): HTMLElement {
    return h(
      'div',
      { class: `card ${tone}` },
      h('div', { class: 'card-value' }, value),
      h('div', { class: 'card-label' }, label),
    );
  }

  #render(data: OverviewData): void {
    const c = data.counts;
    const finishedOther = (c.interrupted ?? 0) + (c.cancelled ?? 0) + (c.rejected ?? 0) + (c.expired ?? 0);
    fill(
      this.element,
      this.#card('Pending', formatNumber(c.pending ?? 0)),
      this.#card('Running', formatNumber(c.running ?? 0)),
      this.#card('Succeeded', formatNumber(c.success ?? 0), 'ok'),
      this.#card('Failed', formatNumber(c.failed ?? 0), (c.failed ?? 0) > 0 ? 'bad' : ''),
      this.#card('Other finished', formatNumber(finishedOther)),
      this.#card('Success rate (1 h)', formatPercent(data.throughput.successRate)),
      this.#card('Throughput', `${data.throughput.perMinute}/min`),
      this.#card(
        'Failures (1 h)',
        formatNumber(data.throughput.failedLastHour),
        data.throughput.failedLastHour > 0 ? 'bad' : '',
      ),
      this.#card('Oldest pending', formatDuration(data.oldestPendingAgeMs)),
    );
    const live = data.instances.filter((i) => i.health === 'live').length;
    if (data.alerts.length > 0) {
      this.badge.className = 'health alarm';
      fill(this.badge, `⚠ ${data.alerts.length} problem${data.alerts.length > 1 ? 's' : ''}`);
      this.alerts.hidden = false;
      fill(
        this.alerts,
        ...data.alerts.map((alert) =>
          h('p', {}, h('strong', {}, alert.code.replaceAll('_', ' ').toLowerCase()), ': ', alert.message),
        ),
      );
    } else {
      this.badge.className = 'health ok';
      fill(this.badge, `${data.backend.name} · ${live} live`);
      this.alerts.hidden = true;
      this.alerts.replaceChildren();
    }
  }
}
