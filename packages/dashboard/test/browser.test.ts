import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { waitFor } from '@errand/core/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toNodeHandler } from '../src/adapters/node.js';
import type { Dashboard } from '../src/index.js';
import { createDashboard, type Fixture, openOptions, startFixture, XSS } from './fixture.js';
import { type OpenedStore, STORES } from './stores.js';

/** Debian's Chromium; never a downloaded browser (.ci/run installs it when missing). */
const CHROMIUM = '/usr/bin/chromium';
/** Where the test writes its screenshots (the README's come from here). */
export const SCREENSHOTS = join(import.meta.dirname, '..', '.screenshots');
const BASE = '/tasks/dashboard';

const skip = !existsSync(CHROMIUM) && !process.env.CI;
if (skip) {
  // In CI a missing browser fails the run instead (.ci/run installs it).
  console.warn(`SKIPPED: the dashboard's browser tests need ${CHROMIUM} (apt-get install chromium)`);
}

describe.skipIf(skip)('the page in Chromium', () => {
  let store: OpenedStore;
  let fixture: Fixture;
  let dashboards: Dashboard[];
  let server: Server;
  let origin: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    // On SQLite, as a single-host application would run it.
    store = await STORES.find((target) => target.name === 'sqlite')!.open();
    fixture = await startFixture(store.backend);
    const open = createDashboard(openOptions(fixture, { displayArgs: true, pollInterval: 500 }));
    const closed = createDashboard(openOptions(fixture, { basePath: '/closed', authorize: undefined }));
    dashboards = [open, closed];
    const openHandler = toNodeHandler(open);
    const closedHandler = toNodeHandler(closed);
    server = createServer((req, res) => {
      const next = () => closedHandler(req, res);
      openHandler(req, res, next);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    mkdirSync(SCREENSHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-gpu',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
  });

  afterAll(async () => {
    await browser?.close();
    for (const dashboard of dashboards ?? []) dashboard.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await fixture?.stop();
    await store?.cleanup();
  });

  const row = (id: string, status?: string) =>
    page.locator(`tr[data-id="${id}"]${status ? `[data-status="${status}"]` : ''}`);
  const finished = (id: string) =>
    waitFor(
      async () => !['pending', 'running'].includes((await fixture.manager.get(id))?.status ?? 'pending'),
      5000,
      id,
    );

  it('shows the 403 page without authorize', async () => {
    const response = await page.goto(`${origin}/closed/`);
    expect(response?.status()).toBe(403);
    await expect(page.locator('h1').textContent()).resolves.toContain('403');
    await expect(page.locator('body').textContent()).resolves.toContain('authorize');
    problems.length = 0; // The 403 itself is logged by the browser as a failed load.
  });

  it('loads live and shows a task go pending → running → success without a reload', async () => {
    // Some history, so the screenshots show a working fleet.
    for (let i = 0; i < 6; i++) await finished(await fixture.manager.enqueue('echo', [`warm-up ${i}`]));
    await finished(await fixture.manager.enqueue('boom', ['SMTP 421: try again later']));
    void fixture.manager.enqueue('gate', ['stays-running']);
    await page.goto(`${origin}${BASE}/`);
    await page.locator('.live[data-state="live"]').waitFor({ timeout: 10_000 });
    const id = await fixture.manager.enqueue('gate', ['live-row'], { delay: 1200 });
    await row(id, 'pending').waitFor({ timeout: 5000 });
    await row(id, 'running').waitFor({ timeout: 5000 });
    fixture.gates.release('live-row');
    await row(id, 'success').waitFor({ timeout: 5000 });
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
  });

  it('renders hostile task values as text and runs none of them', async () => {
    const id = await fixture.manager.enqueue('boom', [XSS]);
    await finished(id);
    await row(id).waitFor({ timeout: 5000 });
    await expect(row(id).locator('td.error-text').textContent()).resolves.toBe(XSS);
    await row(id).click();
    const detail = page.locator('aside.detail');
    await detail.locator('pre.error-text').waitFor();
    await expect(detail.locator('pre.error-text').textContent()).resolves.toBe(XSS);
    await expect(detail.locator('pre.args').first().textContent()).resolves.toContain('<script>');
    await expect(detail.locator('.logs .message').first().textContent()).resolves.toContain('<img src=x');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('main img, aside img, main script, aside script').count()).toBe(0);
    expect(page.url()).toContain(`task=${id}`);
  });

  it('retries a failed task from its detail', async () => {
    const id = new URL(page.url()).searchParams.get('task')!;
    const before = fixture.logger.lines.length;
    await page.locator('aside.detail button', { hasText: 'Retry' }).click();
    await page.locator('.toast', { hasText: 'done' }).first().waitFor();
    await waitFor(
      async () =>
        (await fixture.manager.get(id))?.logs.some((l) => l.message.includes('retried manually')) ?? false,
      5000,
      'the retry',
    );
    const logged = fixture.logger.lines.slice(before).find((line) => line.fields?.action === 'retry');
    expect(logged?.fields).toMatchObject({ taskId: id, who: 'anonymous' });
    await page.screenshot({ path: join(SCREENSHOTS, 'desktop-detail.png') });
    await page.keyboard.press('Escape');
    await expect(page.locator('aside.detail').isHidden()).resolves.toBe(true);
  });

  it('filters on the server with the filter in the URL', async () => {
    await page.locator('select[name="status"]').selectOption('failed');
    await page.waitForURL(/status=failed/);
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('table.tasks tbody tr')];
      return rows.length > 0 && rows.every((r) => (r as HTMLElement).dataset.status === 'failed');
    });
    await page.reload();
    await expect(page.locator('select[name="status"]').inputValue()).resolves.toBe('failed');
    const bulk = page.locator('button', { hasText: 'Retry all matching' });
    await bulk.click();
    await page.locator('button', { hasText: 'click again to confirm' }).click();
    await page.locator('.toast', { hasText: /Retried [1-9]\d* of [1-9]/ }).waitFor();
    expect(fixture.logger.lines.some((line) => line.fields?.action === 'bulk retry')).toBe(true);
    await page.locator('select[name="status"]').selectOption('');
  });

  it('lists jobs, charts and instances; shortcuts, theme and narrow screens work', async () => {
    await page.keyboard.press('3');
    await page.locator('tr[data-job="nightly_backup"]').waitFor();
    await expect(page.locator('tr[data-job="nightly_backup"]').textContent()).resolves.toContain(
      'Daily at 2:00 AM UTC → in',
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'jobs.png') });
    await page.keyboard.press('2');
    await page.locator('.chart svg rect').first().waitFor();
    await page.locator('.drow').first().waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'charts.png') });
    await page.keyboard.press('1');
    await page.keyboard.press('u'); // times in UTC
    await expect(page.locator('table.tasks td.time').first().textContent()).resolves.toMatch(/ UTC$/);
    await page.keyboard.press('u');
    await expect(page.locator('table.tasks td.time').first().textContent()).resolves.not.toMatch(/UTC/);
    await page.screenshot({ path: join(SCREENSHOTS, 'desktop.png') });
    await page.keyboard.press('?');
    await page.locator('.sheet[role="dialog"]').waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    await page.keyboard.press('t'); // system → light
    await page.keyboard.press('t'); // light → dark
    await expect(page.evaluate(() => document.documentElement.dataset.theme)).resolves.toBe('dark');
    await page.screenshot({ path: join(SCREENSHOTS, 'dark.png') });
    await page.keyboard.press('t');
    await page.setViewportSize({ width: 360, height: 740 });
    await page.reload();
    await page.locator('table.tasks tbody tr').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'mobile-360.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});
