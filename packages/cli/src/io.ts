import { maskAll } from './store/url.js';

/** The streams and environment a command runs with; tests pass their own. */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  };
}

/** ANSI styles, or none: colour only on a TTY, and never with `NO_COLOR` set (no-color.org). */
export interface Styles {
  ok(text: string): string;
  warn(text: string): string;
  fail(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const plain = (text: string) => text;
const ansi = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;

export function stylesFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): Styles {
  const on = stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
  if (!on) return { ok: plain, warn: plain, fail: plain, dim: plain, bold: plain };
  return { ok: ansi(32, 39), warn: ansi(33, 39), fail: ansi(31, 39), dim: ansi(2, 22), bold: ansi(1, 22) };
}

/**
 * Every byte the CLI prints goes through here, masked: a store password
 * must not reach a terminal, a log collector or Docker's health log, even
 * when a driver or a task's own error echoes it.
 */
export class Printer {
  readonly #io: Io;
  #secrets: readonly string[] = [];
  readonly out: Styles;
  readonly err: Styles;

  constructor(io: Io) {
    this.#io = io;
    this.out = stylesFor(io.stdout, io.env);
    this.err = stylesFor(io.stderr, io.env);
  }

  /** Values to mask wherever they appear (the store URL's password). */
  set secrets(secrets: readonly string[]) {
    this.#secrets = secrets;
  }

  mask(text: string): string {
    return maskAll(text, this.#secrets);
  }

  line(text = ''): void {
    this.#io.stdout.write(`${this.mask(text)}\n`);
  }

  /** Raw bytes to stdout (screen control of `errand top`), masked all the same. */
  write(text: string): void {
    this.#io.stdout.write(this.mask(text));
  }

  json(value: unknown): void {
    this.line(JSON.stringify(value, null, 2));
  }

  error(text: string): void {
    this.#io.stderr.write(`${this.mask(text)}\n`);
  }

  /** Progress and prompts: stderr, so that stdout stays what scripts parse. */
  status(text: string): void {
    this.#io.stderr.write(this.mask(text));
  }
}
