import { getJson } from './api.js';
import { fill, h, s } from './dom.js';
import { formatClock, formatDuration, formatNumber, formatTime } from './format.js';
import { onPrefsChange } from './state.js';
import { param, setParams } from './url-state.js';

interface Bucket {
  start: number;
  success: number;
  failed: number;
  interrupted: number;
  cancelled: number;
  rejected: number;
  expired?: number;
}

/** Finished, neither a success nor a failure. */
const other = (b: Bucket) => b.interrupted + b.cancelled + b.rejected + (b.expired ?? 0);

interface SeriesData {
  window: string;
  bucketMs: number;
  buckets: Bucket[];
  durations: Array<{ name: string; p50: number; p95: number; count: number }>;
}

const WINDOWS = ['1h', '24h', '7d'];
const W = 720;
const H = 200;
const PAD = { left: 40, bottom: 22, top: 8 };

/** History charts from the store: finished tasks per status over time, and p50/p95 per task name. */
export class ChartsView {
  readonly element = h('section', { class: 'view charts-view', 'aria-label': 'Charts' });
  readonly #picker = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Window' });
  readonly #chart = h('figure', { class: 'chart' });
  readonly #durations = h('div', { class: 'durations' });
  #data: SeriesData | null = null;

  constructor() {
    for (const window of WINDOWS) {
      this.#picker.append(
        h(
          'button',
          { type: 'button', class: 'btn', 'data-window': window, onclick: () => this.#choose(window) },
          window,
        ),
      );
    }
    this.element.append(
      h('div', { class: 'chart-head' }, h('h2', {}, 'Finished tasks'), this.#picker),
      this.#chart,
      h('h2', {}, 'Duration per task (p50 / p95)'),
      this.#durations,
    );
    onPrefsChange(() => this.#data && this.#render(this.#data));
  }

  async refresh(): Promise<void> {
    const window = WINDOWS.includes(param('window')) ? param('window') : '1h';
    for (const button of this.#picker.querySelectorAll('button')) {
      button.setAttribute('aria-pressed', String(button.dataset.window === window));
    }
    this.#data = await getJson<SeriesData>('/series', { window });
    this.#render(this.#data);
  }

  #choose(window: string): void {
    setParams({ window });
    void this.refresh();
  }

  #render(data: SeriesData): void {
    const buckets = data.buckets;
    const totals = buckets.map((b) => b.success + b.failed + other(b));
    const max = Math.max(1, ...totals);
    const plotW = W - PAD.left;
    const plotH = H - PAD.bottom - PAD.top;
    const barW = plotW / Math.max(1, buckets.length);
    const svg = s('svg', {
      viewBox: `0 0 ${W} ${H}`,
      role: 'img',
      'aria-label': `Finished tasks per ${formatDuration(data.bucketMs)}`,
    });
    for (const fraction of [0, 0.5, 1]) {
      const y = PAD.top + plotH * (1 - fraction);
      svg.append(s('line', { x1: PAD.left, x2: W, y1: y, y2: y, class: 'grid' }));
      svg.append(
        s(
          'text',
          { x: PAD.left - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' },
          formatNumber(Math.round(max * fraction)),
        ),
      );
    }
    const withDay = data.bucketMs >= 3_600_000;
    const labelEvery = Math.ceil(buckets.length / 6);
    buckets.forEach((bucket, i) => {
      const x = PAD.left + i * barW;
      let y = PAD.top + plotH;
      const group = s(
        'g',
        {},
        s(
          'title',
          {},
          `${formatTime(bucket.start)}: ${bucket.success} ok, ${bucket.failed} failed, ${other(bucket)} other`,
        ),
      );
      for (const [key, cls] of [
        ['success', 'ok'],
        ['failed', 'bad'],
        ['other', 'other'],
      ] as const) {
        const value = key === 'other' ? other(bucket) : bucket[key];
        if (value === 0) continue;
        const height = (value / max) * plotH;
        y -= height;
        group.append(s('rect', { x: x + 0.5, y, width: Math.max(1, barW - 1), height, class: `bar ${cls}` }));
      }
      svg.append(group);
      if (i % labelEvery === 0) {
        svg.append(s('text', { x, y: H - 6, class: 'axis' }, formatClock(bucket.start, withDay)));
      }
    });
    const legend = h(
      'figcaption',
      { class: 'legend' },
      h('span', { class: 'key ok' }, 'success'),
      h('span', { class: 'key bad' }, 'failed'),
      h('span', { class: 'key other' }, 'interrupted / cancelled / rejected / expired'),
      ` · ${formatNumber(totals.reduce((a, b) => a + b, 0))} in ${data.window}`,
    );
    fill(this.#chart, svg, legend);

    if (data.durations.length === 0) {
      fill(this.#durations, h('p', { class: 'muted' }, 'No successful task in this window.'));
      return;
    }
    const top = Math.max(1, ...data.durations.map((d) => d.p95));
    const rows = data.durations.map((d) => {
      const bar = h('div', { class: 'dbar' });
      const p95 = h('span', { class: 'p95' });
      const p50 = h('span', { class: 'p50' });
      // Widths via the CSSOM: allowed under the page's CSP, unlike style attributes in markup.
      p95.style.width = `${(d.p95 / top) * 100}%`;
      p50.style.width = `${(d.p50 / top) * 100}%`;
      bar.append(p95, p50);
      return h(
        'div',
        { class: 'drow' },
        h('span', { class: 'dname' }, d.name),
        bar,
        h(
          'span',
          { class: 'dvals' },
          `${formatDuration(d.p50)} / ${formatDuration(d.p95)} · ${formatNumber(d.count)}`,
        ),
      );
    });
    fill(this.#durations, ...rows);
  }
}
