import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The bin as a user runs it: the workspace's node_modules/.bin/errand. */
export const ERRAND_BIN = join(here, '../../../../node_modules/.bin/errand');
const WORKER = join(here, '../fixtures/worker.mjs');

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

/** Runs `errand ...args` to its end, off a terminal (stdin closed), as a container's health check does. */
export function errand(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): Promise<Ran> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(ERRAND_BIN, args, {
      env: { ...process.env, NO_COLOR: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`errand ${args.join(' ')} ran over ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

export interface WorkerEvent {
  event: string;
  [field: string]: unknown;
}

/** A real instance (manager + scheduler) in its own process; see fixtures/worker.mjs. */
export class Worker {
  readonly child: ChildProcess;
  readonly events: WorkerEvent[] = [];
  #stderr = '';
  #waiters: Array<() => void> = [];

  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [WORKER], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as WorkerEvent);
      } catch {
        this.#stderr += `${line}\n`;
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.child.stderr!.on('data', (chunk) => {
      this.#stderr += chunk;
    });
    this.child.on('exit', () => {
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /** The first event matching `match`, waiting up to `timeoutMs` for it. */
  async waitFor(
    match: (event: WorkerEvent) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<WorkerEvent> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`worker exited before ${what}: ${this.#stderr}`);
      }
      const left = end - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; worker stderr: ${this.#stderr}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  count(event: string): number {
    return this.events.filter((e) => e.event === event).length;
  }

  kill(signal: NodeJS.Signals): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill(signal);
    return exited;
  }
}
