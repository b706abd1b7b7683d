// The pieces every table of the report is made of: number formats, one
// cell over runs, error cells and Markdown tables.
import { summarize } from './stats.mjs';

export const int = (value) => Math.round(value).toLocaleString('en-US');
export const ms = (value) =>
  value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);

/** "median (min–max)" over runs, or the one value; says so when runs failed. */
export function cell(summary, format, planned) {
  if (!summary) return '–';
  const short = summary.runs < planned ? ` [${summary.runs} of ${planned} runs]` : '';
  if (summary.runs === 1) return format(summary.median) + short;
  return `${format(summary.median)} (${format(summary.min)}–${format(summary.max)})${short}`;
}

export function field(outcome, name) {
  return outcome ? summarize(outcome.results.map((result) => result[name])) : null;
}

export function errorCell(outcome) {
  const first = outcome.errors[0].split('\n')[0].replaceAll('|', '\\|');
  return `**failed**: ${first.length > 160 ? `${first.slice(0, 160)}…` : first}`;
}

/** A Markdown table; the first column and those named in `textColumns` are left-aligned. */
export function table(header, rows, textColumns = []) {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((name, i) => (i === 0 || textColumns.includes(name) ? '---' : '---:')).join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

/** The median of one field of a measurement, or null when it has no result. */
export function medianOf(outcome, name) {
  return outcome && outcome.results.length > 0 ? (field(outcome, name)?.median ?? null) : null;
}
