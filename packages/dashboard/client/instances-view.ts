import { fill, h } from './dom.js';
import { formatRelative, formatTime } from './format.js';
import type { OverviewData } from './overview.js';

/** Instances from their heartbeats (live / quiet / stopped) and the store's health. */
export class InstancesView {
  readonly element = h('section', { class: 'view instances-view', 'aria-label': 'Instances' });

  render(data: OverviewData): void {
    const body = h('tbody');
    for (const instance of data.instances) {
      const meta = Object.entries(instance.meta)
        .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
        .join('  ');
      body.append(
        h(
          'tr',
          {},
          h('td', {}, h('span', { class: `badge h-${instance.health}` }, instance.health)),
          h('td', { class: 'mono' }, instance.id),
          h('td', { class: 'time' }, formatTime(instance.startedAt)),
          h(
            'td',
            {},
            `${instance.health === 'live' ? 'expires' : 'expired'} ${formatRelative(instance.expiresAt, data.now)}`,
          ),
          h('td', { class: 'mono small' }, meta),
        ),
      );
    }
    fill(
      this.element,
      h(
        'p',
        { class: data.backend.healthy ? 'muted' : 'alarm-text' },
        `Store: ${data.backend.name} — ${data.backend.healthy ? 'healthy' : 'NOT answering this instance'}`,
      ),
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
              h('th', {}, 'Health'),
              h('th', {}, 'Instance'),
              h('th', {}, 'Started'),
              h('th', {}, 'Heartbeat'),
              h('th', {}, 'Meta'),
            ),
          ),
          body,
        ),
      ),
    );
  }
}
