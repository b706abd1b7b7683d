import type { Sample } from './exposition.js';

/** Label values joined into one map key (NUL never appears in a task or queue name that a store accepts). */
const keyOf = (values: readonly string[]) => values.join('\u0000');

/** A counter per label set, counted in this process since it started. */
export class Counter {
  readonly #labels: readonly string[];
  readonly #values = new Map<string, { labels: Record<string, string>; value: number }>();

  constructor(labels: readonly string[]) {
    this.#labels = labels;
  }

  inc(values: readonly string[], by = 1): void {
    const key = keyOf(values);
    const entry = this.#values.get(key);
    if (entry) entry.value += by;
    else this.#values.set(key, { labels: this.#labelsOf(values), value: by });
  }

  #labelsOf(values: readonly string[]): Record<string, string> {
    return Object.fromEntries(this.#labels.map((name, i) => [name, values[i]!]));
  }

  samples(): Sample[] {
    return [...this.#values.values()].map(({ labels, value }) => ({ labels, value }));
  }
}

/** A histogram per label set: cumulative buckets (`le`), `_sum` and `_count`. */
export class Histogram {
  readonly #labels: readonly string[];
  readonly #bounds: readonly number[];
  readonly #series = new Map<
    string,
    { labels: Record<string, string>; counts: number[]; sum: number; count: number }
  >();

  constructor(labels: readonly string[], bounds: readonly number[]) {
    this.#labels = labels;
    this.#bounds = [...bounds].sort((a, b) => a - b);
  }

  observe(values: readonly string[], value: number): void {
    const key = keyOf(values);
    let series = this.#series.get(key);
    if (!series) {
      const labels = Object.fromEntries(this.#labels.map((name, i) => [name, values[i]!]));
      series = { labels, counts: new Array(this.#bounds.length).fill(0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    // Counted in the first bucket it fits; samples() makes them cumulative.
    const index = this.#bounds.findIndex((bound) => value <= bound);
    if (index >= 0) series.counts[index]!++;
    series.sum += value;
    series.count++;
  }

  samples(): Sample[] {
    const samples: Sample[] = [];
    for (const { labels, counts, sum, count } of this.#series.values()) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += counts[i]!;
        samples.push({ suffix: '_bucket', labels: { ...labels, le: String(bound) }, value: cumulative });
      });
      samples.push({ suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: count });
      samples.push({ suffix: '_sum', labels, value: sum });
      samples.push({ suffix: '_count', labels, value: count });
    }
    return samples;
  }
}
