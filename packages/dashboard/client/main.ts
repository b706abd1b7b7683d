import { toast } from './api.js';
import { ChartsView } from './charts.js';
import { DetailPanel } from './detail.js';
import { h } from './dom.js';
import { InstancesView } from './instances-view.js';
import { JobsView } from './jobs-view.js';
import { LiveFeed } from './live.js';
import { OverviewCards } from './overview.js';
import { bindShortcuts, helpSheet } from './shortcuts.js';
import { config, prefs, prefsChanged, type Theme } from './state.js';
import { TasksView } from './tasks-view.js';
import { param, setParams } from './url-state.js';

const VIEWS = ['tasks', 'charts', 'jobs', 'instances'] as const;
type View = (typeof VIEWS)[number];
const THEMES: Theme[] = ['system', 'light', 'dark'];

const live = new LiveFeed();
const cards = new OverviewCards();
const detail = new DetailPanel(live);
const tasks = new TasksView(live, (id) => detail.open(id));
const charts = new ChartsView();
const jobs = new JobsView();
const instances = new InstancesView();
const sections: Record<View, HTMLElement> = {
  tasks: tasks.element,
  charts: charts.element,
  jobs: jobs.element,
  instances: instances.element,
};

const themeButton = h('button', { type: 'button', class: 'btn', 'aria-label': 'Theme' });
const utcButton = h('button', { type: 'button', class: 'btn', 'aria-label': 'Time zone' });
const sheet = helpSheet(() => toggleHelp(false));
const tabs = h('nav', { class: 'tabs', role: 'tablist' });
for (const [index, view] of VIEWS.entries()) {
  tabs.append(
    h(
      'button',
      {
        type: 'button',
        role: 'tab',
        'data-view': view,
        title: `${view} (${index + 1})`,
        onclick: () => show(view),
      },
      view[0]!.toUpperCase() + view.slice(1),
    ),
  );
}

function currentView(): View {
  const view = param('view') as View;
  return VIEWS.includes(view) ? view : 'tasks';
}

function applyTheme(): void {
  if (prefs.theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = prefs.theme;
  themeButton.textContent = `Theme: ${prefs.theme}`;
  utcButton.textContent = prefs.utc ? 'UTC' : 'Local time';
}

function toggleHelp(open = sheet.hidden): void {
  sheet.hidden = !open;
  if (open) sheet.querySelector('button')?.focus();
}

/** Shows one view and loads what it needs. */
function show(view: View): void {
  if (param('view') !== view) setParams({ view: view === 'tasks' ? '' : view });
  for (const name of VIEWS) {
    sections[name].hidden = name !== view;
    tabs.querySelector(`[data-view="${name}"]`)?.setAttribute('aria-selected', String(name === view));
  }
  void refreshView(view);
}

async function refreshView(view: View): Promise<void> {
  try {
    if (view === 'charts') await charts.refresh();
    if (view === 'jobs') await jobs.refresh();
    if (view === 'instances' && cards.last) instances.render(cards.last);
  } catch (error) {
    toast(error instanceof Error ? error.message : String(error), 'error');
  }
}

async function refreshOverview(): Promise<void> {
  try {
    const data = await cards.refresh();
    if (currentView() === 'instances') instances.render(data);
  } catch (error) {
    cards.badge.className = 'health alarm';
    cards.badge.textContent = `⚠ ${error instanceof Error ? error.message : 'overview failed'}`;
  }
}

themeButton.addEventListener('click', () => {
  prefs.theme = THEMES[(THEMES.indexOf(prefs.theme) + 1) % THEMES.length]!;
  applyTheme();
  prefsChanged();
});
utcButton.addEventListener('click', () => {
  prefs.utc = !prefs.utc;
  applyTheme();
  prefsChanged();
});

const app = document.getElementById('app')!;
app.replaceChildren(
  h(
    'header',
    { class: 'top' },
    h('h1', {}, config.title),
    live.indicator,
    cards.badge,
    h('div', { class: 'spacer' }),
    utcButton,
    themeButton,
    h(
      'button',
      { type: 'button', class: 'btn', 'aria-label': 'Keyboard shortcuts', onclick: () => toggleHelp() },
      '?',
    ),
  ),
  cards.alerts,
  cards.element,
  tabs,
  h('main', {}, ...Object.values(sections)),
  detail.element,
  sheet,
);

bindShortcuts({
  help: () => toggleHelp(),
  search: () => {
    show('tasks');
    tasks.focusSearch();
  },
  view: (index) => show(VIEWS[index]!),
  move: (step) => currentView() === 'tasks' && tasks.move(step),
  open: () => currentView() === 'tasks' && tasks.openSelected(),
  escape: () => (!sheet.hidden ? toggleHelp(false) : detail.close()),
  pause: () => tasks.togglePause(),
  theme: () => themeButton.click(),
  utc: () => utcButton.click(),
  refresh: () => {
    void refreshOverview();
    if (currentView() === 'tasks') void tasks.reload();
    else void refreshView(currentView());
  },
  retry: () => void detail.retry(),
  cancel: () => void detail.cancel(),
});

window.addEventListener('popstate', () => {
  show(currentView());
  const id = param('task');
  if (id) detail.open(id, false);
  else detail.close();
  void tasks.reload();
});

applyTheme();
show(currentView());
live.start();
void refreshOverview();
void tasks
  .reload()
  .catch((error: unknown) => toast(error instanceof Error ? error.message : String(error), 'error'));
if (param('task')) detail.open(param('task'), false);

// Totals follow live changes, at most once every 2 s however many tasks move.
let overviewSoon: ReturnType<typeof setTimeout> | null = null;
live.onTask(() => {
  if (overviewSoon) return;
  overviewSoon = setTimeout(() => {
    overviewSoon = null;
    void refreshOverview();
  }, 2000);
});

// Figures that are not pushed: refreshed while the page is visible (charts less often: they read more).
let ticks = 0;
setInterval(() => {
  if (document.hidden) return;
  ticks++;
  void refreshOverview();
  const view = currentView();
  if (view === 'jobs' || (view === 'charts' && ticks % 6 === 0)) void refreshView(view);
}, 5000);
