import type { EncryptionOptions } from '../encryption/keyring.js';
import type { Observer } from '../observe/observer.js';
import type { ThreadPoolOptions } from '../threads/thread-pool.js';

/** Options of `TaskManager` for what watches, protects and hosts the tasks. */
export interface ObservabilityOptions {
  /**
   * Every lifecycle event and every `ctx.log()` line of every task reach
   * these: `fileObserver()`, `stdoutObserver()`, `memoryObserver()`,
   * `pinoObserver()`, or any `{ onEvent(event) }`. Closed by `stop()`.
   */
  observers?: Observer[];
  /**
   * Encrypts task arguments, results and logs (AES-256-GCM) before they
   * reach the backend, and decrypts them on every read. Needs a backend.
   * See "Encryption at rest" in the README.
   */
  encryption?: EncryptionOptions;
  /**
   * OpenTelemetry: each attempt runs in a span named after the task, a
   * child of the span that enqueued it. Default: on when
   * `@opentelemetry/api` is installed (loaded at `start()`), off otherwise;
   * `false` turns it off, `true` makes `start()` fail without the package.
   */
  tracing?: boolean;
  /** The worker-thread pool of `thread: true` tasks (piscina, loaded on first use). */
  threads?: ThreadPoolOptions;
}
