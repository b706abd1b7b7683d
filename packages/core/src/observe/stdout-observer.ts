import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { formatJson, formatLine } from './format-line.js';
import type { Observer, ObserverLevel, TaskEvent } from './observer.js';

/** Options of {@link stdoutObserver}. */
export interface StdoutObserverOptions {
  /** `'json'`: one JSON object per line (for log shippers); `'pretty'` (default): the file observer's line, coloured on a terminal. */
  format?: 'json' | 'pretty';
  /** Where to write. Default `process.stdout`. */
  stream?: { write(text: string): unknown; isTTY?: boolean };
}

const COLOURS: Record<ObserverLevel, string> = {
  debug: '\u001b[90m',
  info: '\u001b[36m',
  warn: '\u001b[33m',
  error: '\u001b[31m',
};

/**
 * Writes every task event to standard output, one line each.
 *
 * ```ts
 * new TaskManager({ observers: [stdoutObserver({ format: 'json' })] });
 * ```
 */
export function stdoutObserver(options: StdoutObserverOptions = {}): Observer {
  const format = options.format ?? 'pretty';
  if (format !== 'json' && format !== 'pretty') {
    throw new InvalidOptionError(`stdoutObserver: format must be 'json' or 'pretty', got ${String(format)}`);
  }
  const stream = options.stream ?? process.stdout;
  if (format === 'json') return { onEvent: (event: TaskEvent) => void stream.write(formatJson(event)) };
  const colour = stream.isTTY === true;
  return {
    onEvent(event: TaskEvent) {
      const line = formatLine(event);
      if (!colour) {
        stream.write(line);
        return;
      }
      const tag = `[${event.level}]`;
      stream.write(line.replace(tag, `${COLOURS[event.level]}${tag}\u001b[0m`));
    },
  };
}
