// Draws the throughput table as a horizontal bar chart (log scale, median
// bar, min–max whisker) in SVG and renders it to PNG with resvg, whose
// prebuilt binary ships inside its npm package: nothing is downloaded.
import { Resvg } from '@resvg/resvg-js';
import { summarize } from './stats.mjs';

const escapeXml = (text) =>
  String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** Builds the SVG text of the chart. */
export function throughputSvg({ plan, outcomes, machine, date }) {
  const rows = plan.systems.map((system) => {
    const outcome = outcomes.get(`throughput:${system.id}`);
    const summary = outcome ? summarize(outcome.results.map((r) => r.tasksPerSecond)) : null;
    return { label: system.label, family: system.family, summary };
  });
  const width = 1000;
  const left = 330;
  const right = 110;
  const top = 70;
  const rowHeight = 28;
  const height = top + rows.length * rowHeight + 56;
  const values = rows.flatMap((row) => (row.summary ? [row.summary.min, row.summary.max] : []));
  const low = 10 ** Math.floor(Math.log10(Math.max(1, Math.min(...values, 1000))));
  const high = 10 ** Math.ceil(Math.log10(Math.max(...values, 10_000)));
  const x = (value) =>
    left +
    ((Math.log10(value) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) * (width - left - right);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="20" y="30" font-size="18" font-weight="bold">Throughput, no-op tasks/s (log scale; bar = median, whisker = min–max)</text>`,
    `<text x="20" y="52" font-size="12" fill="#555">${escapeXml(
      `${plan.quick ? 'quick mode, ' : ''}N = ${plan.settings.throughputN.toLocaleString('en-US')}, 32 enqueues in flight, concurrency 32, ` +
        `${plan.settings.runs} run(s); ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; ${date.toISOString().slice(0, 10)}`,
    )}</text>`,
  ];
  const legendY = top + rows.length * rowHeight + 36;
  parts.push(
    `<rect x="${left}" y="${legendY - 10}" width="12" height="12" fill="#2f6fd0"/>`,
    `<text x="${left + 18}" y="${legendY}" font-size="12">Errand</text>`,
    `<rect x="${left + 90}" y="${legendY - 10}" width="12" height="12" fill="#e08a2c"/>`,
    `<text x="${left + 108}" y="${legendY}" font-size="12">peers, at their best documented settings</text>`,
  );
  for (let tick = low; tick <= high; tick *= 10) {
    const tx = x(tick);
    parts.push(
      `<line x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${top + rows.length * rowHeight}" stroke="#ddd"/>`,
      `<text x="${tx}" y="${top + rows.length * rowHeight + 18}" font-size="12" text-anchor="middle" fill="#555">${tick.toLocaleString('en-US')}</text>`,
    );
  }
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    parts.push(
      `<text x="${left - 10}" y="${y + 18}" font-size="13" text-anchor="end">${escapeXml(row.label)}</text>`,
    );
    if (!row.summary) {
      parts.push(`<text x="${left + 6}" y="${y + 18}" font-size="13" fill="#b00">failed / not run</text>`);
      return;
    }
    const { median, min, max } = row.summary;
    const color = row.family === 'errand' ? '#2f6fd0' : '#e08a2c';
    parts.push(
      `<rect x="${left}" y="${y + 5}" width="${Math.max(1, x(median) - left)}" height="${rowHeight - 10}" fill="${color}"/>`,
      `<line x1="${x(min)}" y1="${y + rowHeight / 2}" x2="${x(max)}" y2="${y + rowHeight / 2}" stroke="#222" stroke-width="1.5"/>`,
      `<line x1="${x(min)}" y1="${y + 8}" x2="${x(min)}" y2="${y + rowHeight - 8}" stroke="#222"/>`,
      `<line x1="${x(max)}" y1="${y + 8}" x2="${x(max)}" y2="${y + rowHeight - 8}" stroke="#222"/>`,
      `<text x="${Math.max(x(max), x(median)) + 6}" y="${y + 18}" font-size="12">${Math.round(median).toLocaleString('en-US')}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** @returns {Promise<Buffer>} the PNG */
export async function renderChart(input) {
  const svg = throughputSvg(input);
  const resvg = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    fitTo: { mode: 'width', value: 1000 },
  });
  return resvg.render().asPng();
}
