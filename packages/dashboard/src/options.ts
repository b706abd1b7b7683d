import type { Logger, TaskManager, TaskRecord } from '@errand/core';
import type { Scheduler } from '@errand/scheduler';
import { DashboardOptionError } from './errors.js';

/** What a viewer may do. `read` opens the page, the API and the event stream. */
export type Capability = 'read' | 'retry' | 'cancel' | 'jobs';

/** Every capability, in the order the page lists them. */
export const CAPABILITIES: readonly Capability[] = Object.freeze(['read', 'retry', 'cancel', 'jobs']);

/** `true` grants every capability, `false` none; a list grants those. */
export type AuthorizeResult = boolean | readonly Capability[];

/**
 * Decides who may use the dashboard, on every request (page, API, event
 * stream). A function may carry a `challenge` (a `WWW-Authenticate` value):
 * a refused request then gets 401 with it instead of 403, as `basicAuth()` does.
 */
export type Authorize = ((request: Request) => AuthorizeResult | Promise<AuthorizeResult>) & {
  challenge?: string;
};

/** The scheduler methods the dashboard uses: `@errand/scheduler`'s `Scheduler` fits. */
export type DashboardScheduler = Pick<Scheduler, 'list' | 'pause' | 'resume' | 'runNow'>;

/** Options of {@link createDashboard}. */
export interface DashboardOptions {
  /** The manager whose tasks the dashboard shows (its backend holds the whole fleet's history). */
  manager: TaskManager;
  /** The scheduler whose jobs the dashboard lists and controls; without it the Jobs view is empty. */
  scheduler?: DashboardScheduler;
  /** Where the dashboard is mounted, e.g. `'/tasks/dashboard'`. Default `'/'`. */
  basePath?: string;
  /**
   * Who may see and do what. Without it every route answers 403: the
   * dashboard is closed by default, loopback included.
   */
  authorize?: Authorize;
  /** Show task arguments and results in the API and the page. Default false. */
  displayArgs?: boolean;
  /**
   * Returns the record to show (a copy with secrets removed); applied to
   * every record the API, the event stream and the page receive.
   */
  redact?: (record: TaskRecord) => TaskRecord;
  /**
   * Origins allowed to send actions besides the request's own (a reverse
   * proxy that rewrites the host or the scheme), e.g. `['https://ops.example.com']`.
   */
  allowedOrigins?: readonly string[];
  /** Where actions are logged (who, what, which task). Default: the manager's logger. */
  logger?: Logger;
  /** Names the viewer in the action log. Default: the Basic auth user name, else `'anonymous'`. */
  identify?: (request: Request) => string | undefined;
  /**
   * How often, in ms, the store is read for changes made by other instances
   * while event-stream clients are connected (shared backends only). Default 3000.
   */
  pollInterval?: number;
  /** Most tasks one bulk action touches. Default 500. */
  bulkLimit?: number;
  /** Page title. Default `'Errand'`. */
  title?: string;
}

/** The options with their defaults applied and checked. */
export interface ResolvedOptions {
  manager: TaskManager;
  scheduler: DashboardScheduler | null;
  basePath: string;
  authorize: Authorize | null;
  displayArgs: boolean;
  redact: ((record: TaskRecord) => TaskRecord) | null;
  allowedOrigins: ReadonlySet<string>;
  logger: Logger;
  identify: (request: Request) => string | undefined;
  pollInterval: number;
  bulkLimit: number;
  title: string;
}

/** `'/tasks/dashboard/'` → `'/tasks/dashboard'`; `'/'` → `''`. */
export function normalizeBasePath(path: string): string {
  if (!path.startsWith('/')) throw new DashboardOptionError(`basePath must start with "/": ${path}`);
  if (/[?#\s]/.test(path)) throw new DashboardOptionError(`basePath must be a plain path: ${path}`);
  return path.replace(/\/+$/, '');
}

function positiveInteger(value: number | undefined, name: string, fallback: number, min: number): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < min) {
    throw new DashboardOptionError(`${name} must be an integer >= ${min}`);
  }
  return result;
}

export function resolveOptions(options: DashboardOptions): ResolvedOptions {
  if (!options || typeof options.manager?.query !== 'function') {
    throw new DashboardOptionError('createDashboard needs { manager }: a TaskManager');
  }
  if (options.authorize !== undefined && typeof options.authorize !== 'function') {
    throw new DashboardOptionError('authorize must be a function (request) => boolean | Capability[]');
  }
  const origins = new Set<string>();
  for (const origin of options.allowedOrigins ?? []) {
    // Compared with the Origin header, which never carries a path or a trailing slash.
    origins.add(new URL(origin).origin);
  }
  return {
    manager: options.manager,
    scheduler: options.scheduler ?? null,
    basePath: normalizeBasePath(options.basePath ?? '/'),
    authorize: options.authorize ?? null,
    displayArgs: options.displayArgs ?? false,
    redact: options.redact ?? null,
    allowedOrigins: origins,
    logger: options.logger ?? options.manager.logger,
    identify: options.identify ?? basicUserName,
    pollInterval: positiveInteger(options.pollInterval, 'pollInterval', 3000, 100),
    bulkLimit: positiveInteger(options.bulkLimit, 'bulkLimit', 500, 1),
    title: options.title ?? 'Errand',
  };
}

/** The user name of a Basic `Authorization` header, if any. */
export function basicUserName(request: Request): string | undefined {
  const header = request.headers.get('authorization');
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 ? decoded.slice(0, colon) : undefined;
}
