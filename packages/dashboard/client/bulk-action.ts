import { postJson, toast } from './api.js';
import { h } from './dom.js';
import { can } from './state.js';
import { param } from './url-state.js';

const RETRYABLE = ['failed', 'interrupted', 'cancelled', 'rejected'];
const CANCELLABLE = ['pending', 'running'];
/** A second click within this long confirms; no modal dialog. */
const CONFIRM_MS = 4000;

/**
 * "Retry all matching" / "Cancel all matching": one bulk request with the
 * list's current filter, offered only when the status filter allows the
 * action and the login may do it. The server caps how many tasks it touches.
 */
export class BulkAction {
  readonly element = h('button', { type: 'button', class: 'btn danger', hidden: true });
  #action: 'retry' | 'cancel' | null = null;
  #armed: ReturnType<typeof setTimeout> | null = null;
  readonly #done: () => void;

  constructor(done: () => void) {
    this.#done = done;
    this.element.addEventListener('click', () => void this.#click());
  }

  /** Shows the button that fits the status filter now in the URL, if any. */
  update(): void {
    const statuses = param('status').split(',').filter(Boolean);
    const all = (allowed: string[]) => statuses.length > 0 && statuses.every((s) => allowed.includes(s));
    this.#action =
      all(RETRYABLE) && can('retry') ? 'retry' : all(CANCELLABLE) && can('cancel') ? 'cancel' : null;
    this.#disarm();
  }

  #label(): string {
    return this.#action === 'retry' ? 'Retry all matching' : 'Cancel all matching';
  }

  #disarm(): void {
    if (this.#armed) clearTimeout(this.#armed);
    this.#armed = null;
    this.element.hidden = this.#action === null;
    this.element.textContent = this.#label();
  }

  async #click(): Promise<void> {
    const action = this.#action;
    if (!action) return;
    if (!this.#armed) {
      this.element.textContent = `${this.#label()}: click again to confirm`;
      this.#armed = setTimeout(() => this.#disarm(), CONFIRM_MS);
      return;
    }
    this.#disarm();
    const filter: Record<string, string> = {};
    for (const key of ['status', 'name', 'q', 'tag'] as const) if (param(key)) filter[key] = param(key);
    try {
      const result = await postJson<{ matched: number; done: number; truncated: boolean }>('/tasks/bulk', {
        action,
        filter,
      });
      toast(
        `${action === 'retry' ? 'Retried' : 'Cancelled'} ${result.done} of ${result.matched}${result.truncated ? ' (the server limit was reached; run it again for more)' : ''}`,
      );
      this.#done();
    } catch (error) {
      toast(error instanceof Error ? error.message : String(error), 'error');
    }
  }
}
