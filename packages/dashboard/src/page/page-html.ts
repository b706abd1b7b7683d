import type { Capability } from '../options.js';
import { APP_CSS, APP_JS } from './assets.generated.js';

/** What the page script reads at start (never a connection string or anything from a task). */
export interface PageConfig {
  basePath: string;
  capabilities: Capability[];
  displayArgs: boolean;
  instanceId: string;
  title: string;
}

/** Escapes text for an HTML text node or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON inside a `<script>` element: `<` is escaped so no value can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The whole page: one answer, its style and script inline under this answer's nonce. */
export function renderPage(config: PageConfig, nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(config.title)} · tasks</title>
<link rel="icon" href="data:,">
<style nonce="${nonce}">${APP_CSS}</style>
</head>
<body>
<div id="app"><noscript>This dashboard needs JavaScript.</noscript></div>
<script type="application/json" id="errand-config">${scriptJson(config)}</script>
<script nonce="${nonce}">${APP_JS}</script>
</body>
</html>`;
}

/** The closed-door page: says why and how to open the dashboard, nothing else. */
export function renderClosedPage(title: string, reason: 'no-authorize' | 'refused', nonce: string): string {
  const how =
    reason === 'no-authorize'
      ? `<p>The dashboard is closed by default. To open it, pass an <code>authorize</code> option to <code>createDashboard()</code>, for example <code>authorize: basicAuth({ username, password })</code>, or your own <code>(request) =&gt; boolean | Capability[]</code> check.</p>`
      : '<p>Your login may not open this dashboard. Ask whoever runs this server for access.</p>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>403 · ${escapeHtml(title)}</title>
<style nonce="${nonce}">body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2328;background:#fff}@media (prefers-color-scheme:dark){body{color:#e6edf3;background:#0d1117}}code{background:rgba(127,127,127,.15);padding:0 .25em;border-radius:3px}</style>
</head>
<body>
<h1>403 · Forbidden</h1>
${how}
</body>
</html>`;
}
