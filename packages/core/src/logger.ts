import type { Logger } from './backend/backend.js';

function write(level: 'warn' | 'error', message: string, fields?: Record<string, unknown>): void {
  if (fields) console[level](`[errand] ${message}`, fields);
  else console[level](`[errand] ${message}`);
}

/**
 * The logger used when none is given: problems reach the console, routine
 * messages do not (a library must not chatter in its host's logs).
 */
export const defaultLogger: Logger = {
  debug() {},
  info() {},
  warn: (message, fields) => write('warn', message, fields),
  error: (message, fields) => write('error', message, fields),
};

/** A logger that drops everything (`logger: false`). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
