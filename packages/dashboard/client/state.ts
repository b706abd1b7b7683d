/** What the server put in the page (see page-html.ts); never task data. */
export interface PageConfig {
  basePath: string;
  capabilities: Array<'read' | 'retry' | 'cancel' | 'jobs'>;
  displayArgs: boolean;
  instanceId: string;
  title: string;
}

export const config: PageConfig = JSON.parse(document.getElementById('errand-config')?.textContent ?? '{}');

export function can(capability: PageConfig['capabilities'][number]): boolean {
  return config.capabilities.includes(capability);
}

export type Theme = 'system' | 'light' | 'dark';

function stored(key: string): string | null {
  try {
    return localStorage.getItem(`errand:${key}`);
  } catch {
    return null;
  }
}

/** The viewer's display choices, kept in this browser. */
export const prefs = {
  theme: (stored('theme') as Theme | null) ?? 'system',
  utc: stored('utc') === '1',
  save(): void {
    try {
      localStorage.setItem('errand:theme', prefs.theme);
      localStorage.setItem('errand:utc', prefs.utc ? '1' : '0');
    } catch {
      // Private mode: the choice lasts for this page only.
    }
  },
};

type Listener = () => void;
const listeners = new Set<Listener>();

/** Re-renders whatever shows times when the zone changes. */
export function onPrefsChange(listener: Listener): void {
  listeners.add(listener);
}

export function prefsChanged(): void {
  prefs.save();
  for (const listener of listeners) listener();
}
