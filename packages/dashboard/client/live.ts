import type { TaskSummary } from './api.js';
import { apiUrl } from './api.js';
import { h } from './dom.js';

/** Server heartbeats come every 15 s; past this silence the stream counts as stale. */
const STALE_AFTER_MS = 25_000;

type TaskListener = (task: TaskSummary) => void;

/**
 * The event stream (`/api/events`) and its indicator: Live, Reconnecting,
 * or Stale (N s) when an open stream has gone silent. EventSource resumes
 * with `Last-Event-ID` by itself; a `reset` asks the views to refetch.
 */
export class LiveFeed {
  readonly indicator = h('span', { class: 'live', role: 'status', 'aria-live': 'polite' });
  readonly #taskListeners = new Set<TaskListener>();
  readonly #resetListeners = new Set<() => void>();
  #source: EventSource | null = null;
  #lastMessage = Date.now();
  #connected = false;

  start(): void {
    this.#connect();
    setInterval(() => this.#render(), 1000);
    this.#render();
  }

  onTask(listener: TaskListener): void {
    this.#taskListeners.add(listener);
  }

  onReset(listener: () => void): void {
    this.#resetListeners.add(listener);
  }

  #connect(): void {
    const source = new EventSource(apiUrl('/events'));
    this.#source = source;
    const seen = () => {
      this.#lastMessage = Date.now();
      this.#connected = true;
      this.#render();
    };
    source.addEventListener('open', seen);
    source.addEventListener('hello', seen);
    source.addEventListener('heartbeat', seen);
    source.addEventListener('task', (event) => {
      seen();
      const task = JSON.parse((event as MessageEvent<string>).data) as TaskSummary;
      for (const listener of this.#taskListeners) listener(task);
    });
    source.addEventListener('reset', () => {
      seen();
      for (const listener of this.#resetListeners) listener();
    });
    source.addEventListener('error', () => {
      this.#connected = false;
      this.#render();
      // A closed stream (a 401/403, a server gone for good) is not retried by the browser: retry here.
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(() => this.#connect(), 5000);
      }
    });
  }

  #render(): void {
    const silent = Date.now() - this.#lastMessage;
    let state: 'live' | 'reconnecting' | 'stale';
    if (!this.#connected || this.#source?.readyState !== EventSource.OPEN) state = 'reconnecting';
    else state = silent > STALE_AFTER_MS ? 'stale' : 'live';
    const text =
      state === 'live'
        ? 'Live'
        : state === 'reconnecting'
          ? 'Reconnecting'
          : `Stale (${Math.round(silent / 1000)} s)`;
    if (this.indicator.textContent !== text) this.indicator.textContent = text;
    this.indicator.className = `live ${state}`;
    this.indicator.dataset.state = state;
  }
}
