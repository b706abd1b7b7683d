import { h } from './dom.js';

export interface ShortcutActions {
  help(): void;
  search(): void;
  view(index: number): void;
  move(step: number): void;
  open(): void;
  escape(): void;
  pause(): void;
  theme(): void;
  utc(): void;
  refresh(): void;
  retry(): void;
  cancel(): void;
}

export const SHORTCUTS: Array<[string, string]> = [
  ['?', 'Show or hide this sheet'],
  ['/', 'Search tasks'],
  ['1 – 4', 'Tasks, Charts, Jobs, Instances'],
  ['j / k', 'Next / previous task'],
  ['Enter', 'Open the selected task'],
  ['Esc', 'Close the panel or this sheet'],
  ['p', 'Pause / resume live updates'],
  ['r', 'Refresh now'],
  ['R (shift+r)', 'Retry the open task'],
  ['C (shift+c)', 'Cancel the open task'],
  ['t', 'Theme: system, light, dark'],
  ['u', 'Times in UTC / local'],
];

/** The `?` sheet. */
export function helpSheet(close: () => void): HTMLElement {
  const rows = SHORTCUTS.map(([key, what]) => h('tr', {}, h('td', {}, h('kbd', {}, key)), h('td', {}, what)));
  return h(
    'div',
    {
      class: 'sheet',
      role: 'dialog',
      'aria-modal': 'true',
      'aria-label': 'Keyboard shortcuts',
      hidden: true,
    },
    h(
      'div',
      { class: 'sheet-body' },
      h('h2', {}, 'Keyboard shortcuts'),
      h('table', {}, h('tbody', {}, ...rows)),
      h('button', { type: 'button', class: 'btn', onclick: close }, 'Close'),
    ),
  );
}

/** Keys work anywhere except while typing in a field (where only Esc counts). */
export function bindShortcuts(actions: ShortcutActions): void {
  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target as HTMLElement | null;
    const typing =
      target && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA');
    if (typing) {
      if (event.key === 'Escape') (target as HTMLElement).blur();
      return;
    }
    const run: Record<string, () => void> = {
      '?': actions.help,
      '/': actions.search,
      '1': () => actions.view(0),
      '2': () => actions.view(1),
      '3': () => actions.view(2),
      '4': () => actions.view(3),
      j: () => actions.move(1),
      k: () => actions.move(-1),
      Enter: actions.open,
      Escape: actions.escape,
      p: actions.pause,
      r: actions.refresh,
      R: actions.retry,
      C: actions.cancel,
      t: actions.theme,
      u: actions.utc,
    };
    const action = run[event.key];
    if (!action) return;
    // Enter on a focused button or link keeps its own meaning.
    if (event.key === 'Enter' && target && (target.tagName === 'BUTTON' || target.tagName === 'A')) return;
    event.preventDefault();
    action();
  });
}
