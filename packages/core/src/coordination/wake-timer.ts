/**
 * Wakes the fleet when delayed shared work becomes due. A store that
 * notifies (PostgreSQL, Redis) wakes instances when work is stored, not when
 * it later becomes due; the instance that stored it remembers when, and
 * notifies then. One timer for the earliest time, however many tasks wait.
 */
export class WakeTimer {
  readonly #wake: () => void;
  readonly #times: number[] = [];
  #timer: NodeJS.Timeout | null = null;
  #armedFor = Number.POSITIVE_INFINITY;

  constructor(wake: () => void) {
    this.#wake = wake;
  }

  /** Wake at `at` (epoch ms). Times within 50 ms of one already known share its wake-up. */
  at(at: number): void {
    if (this.#times.some((known) => Math.abs(known - at) < 50)) return;
    this.#times.push(at);
    this.#times.sort((a, b) => a - b);
    this.#arm();
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#times.length = 0;
  }

  #arm(): void {
    const next = this.#times[0];
    if (next === undefined || next >= this.#armedFor) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#armedFor = next;
    this.#timer = setTimeout(() => this.#fire(), Math.min(Math.max(0, next - Date.now()), 2_147_483_647));
    // Another instance's poll or takeover round finds the work anyway: never keep the process alive for it.
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = null;
    this.#armedFor = Number.POSITIVE_INFINITY;
    const now = Date.now();
    while (this.#times.length > 0 && this.#times[0]! <= now) this.#times.shift();
    this.#wake();
    this.#arm();
  }
}
