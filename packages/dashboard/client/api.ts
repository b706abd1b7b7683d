import { h } from './dom.js';
import { config } from './state.js';

/** A task row as `GET /api/tasks` and the event stream give it. */
export interface TaskSummary {
  id: string;
  name: string;
  status: string;
  tags: Record<string, string>;
  attempt: number;
  maxAttempts: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  duration: number | null;
  runAt: number;
  error: string | null;
  progress: number | null;
  idempotencyKey: string | null;
  owner: string | null;
  queue: string;
  priority: number;
}

/** An answer of the API that was not 2xx. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function apiUrl(path: string, params?: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) if (value) search.set(key, value);
  const query = search.toString();
  return `${config.basePath}/api${path}${query ? `?${query}` : ''}`;
}

async function parse<T>(response: Response): Promise<T> {
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const { error, message } = (body ?? {}) as { error?: string; message?: string };
    throw new ApiError(response.status, error ?? 'ERR_HTTP', message ?? `HTTP ${response.status}`);
  }
  return body as T;
}

export async function getJson<T>(path: string, params?: Record<string, string | undefined>): Promise<T> {
  return parse<T>(
    await fetch(apiUrl(path, params), {
      headers: { accept: 'application/json' },
      credentials: 'same-origin',
    }),
  );
}

/** Actions: same-origin POSTs (the browser adds Sec-Fetch-Site and Origin the server checks). */
export async function postJson<T>(path: string, body?: unknown): Promise<T> {
  const response = await fetch(apiUrl(path), {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  return parse<T>(response);
}

const toasts = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
document.body.append(toasts);

/** A short message in the corner: an action's outcome or an error. */
export function toast(message: string, kind: 'ok' | 'error' = 'ok'): void {
  const item = h('div', { class: `toast ${kind}` }, message);
  toasts.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

/** Runs an action and reports how it went. */
export async function act(label: string, run: () => Promise<unknown>): Promise<boolean> {
  try {
    await run();
    toast(`${label}: done`);
    return true;
  } catch (error) {
    toast(`${label}: ${error instanceof Error ? error.message : String(error)}`, 'error');
    return false;
  }
}
