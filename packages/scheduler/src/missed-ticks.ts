import type { Logger } from '@errand/core';

/** What a `missed` listener hears: the job, and how many of its ticks were recorded as missed. */
export interface MissedTicks {
  jobId: string;
  ticks: number;
}

/** The scheduler's `missed` listeners; one that throws is logged and the others still hear. */
export class MissedTickListeners {
  readonly #listeners = new Set<(info: MissedTicks) => void>();

  add(listener: (info: MissedTicks) => void): void {
    this.#listeners.add(listener);
  }

  emit(info: MissedTicks, logger: Logger): void {
    for (const listener of this.#listeners) {
      try {
        listener(info);
      } catch (error) {
        logger.error('a "missed" listener threw', { error: String(error) });
      }
    }
  }
}
