import { prefs } from './state.js';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A time in the viewer's chosen zone (local or UTC): `2026-11-22 14:03:07`. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  const utc = prefs.utc;
  const y = utc ? d.getUTCFullYear() : d.getFullYear();
  const mo = (utc ? d.getUTCMonth() : d.getMonth()) + 1;
  const day = utc ? d.getUTCDate() : d.getDate();
  const hr = utc ? d.getUTCHours() : d.getHours();
  const mi = utc ? d.getUTCMinutes() : d.getMinutes();
  const se = utc ? d.getUTCSeconds() : d.getSeconds();
  return `${y}-${pad(mo)}-${pad(day)} ${pad(hr)}:${pad(mi)}:${pad(se)}${utc ? ' UTC' : ''}`;
}

/** Just the clock part, for chart axes. */
export function formatClock(ms: number, withDay: boolean): string {
  const d = new Date(ms);
  const utc = prefs.utc;
  const hr = utc ? d.getUTCHours() : d.getHours();
  const mi = utc ? d.getUTCMinutes() : d.getMinutes();
  const clock = `${pad(hr)}:${pad(mi)}`;
  if (!withDay) return clock;
  const mo = (utc ? d.getUTCMonth() : d.getMonth()) + 1;
  const day = utc ? d.getUTCDate() : d.getDate();
  return `${pad(mo)}-${pad(day)} ${clock}`;
}

/** `850 ms`, `12.4 s`, `3m 05s`, `2h 10m`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m ${pad(Math.floor((ms % 60_000) / 1000))}s`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)}h ${pad(Math.floor((ms % 3_600_000) / 60_000))}m`;
  return `${Math.floor(ms / 86_400_000)}d ${Math.floor((ms % 86_400_000) / 3_600_000)}h`;
}

/** `in 5h`, `3m ago`. */
export function formatRelative(ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined) return '—';
  const delta = ms - now;
  const text = formatDuration(Math.abs(delta))
    .replace(/ ?\d+s$/, '')
    .replace(/ ms$/, ' ms');
  return delta >= 0 ? `in ${text}` : `${text} ago`;
}

export function formatPercent(ratio: number | null | undefined): string {
  return ratio === null || ratio === undefined
    ? '—'
    : `${(ratio * 100).toFixed(ratio >= 0.999 || ratio === 0 ? 0 : 1)}%`;
}

export function formatNumber(n: number): string {
  return n.toLocaleString('en-US');
}

export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}
