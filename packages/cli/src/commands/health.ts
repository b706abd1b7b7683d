import { EXIT, UsageError } from '../errors.js';
import { healthJson } from '../health/json.js';
import { collect, DEFAULT_LEASE_TTL_MS, type HealthSnapshot, probeStore } from '../health/snapshot.js';
import { detailedTree } from '../health/text.js';
import { judge, judgeLiveness, unreachable, type Verdict, type VerdictOptions } from '../health/verdict.js';
import { openStore } from '../store/open.js';
import { parseDuration, parseRate } from '../values.js';
import { type CommandContext, deadlineOf, storeTarget, stringFlag } from './context.js';

const LOCAL_FAILURES = new Set([
  'ERR_STORE_TIMEOUT',
  'ERR_MISSING_BACKEND',
  'ERR_BACKEND_LOAD',
  'ERR_NO_STORE',
  'ERR_SCHEMA_VERSION',
]);

/** The reason on the verdict line: the store failing is "unreachable"; anything else says what broke. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && LOCAL_FAILURES.has(code)) return message;
  if (code === 'ERR_BACKEND') return `store unreachable: ${message}`;
  return `health check failed: ${message}`;
}

/**
 * `errand health`: exit 0 healthy (and degraded unless `--strict`), 1
 * unhealthy, unreachable or timed out. Flags are checked before the store
 * is touched, so a typo is a usage error (64), never "unhealthy".
 */
export async function health(context: CommandContext): Promise<number> {
  const { values, print } = context;
  const probe = stringFlag(values, 'probe') ?? 'readiness';
  if (probe !== 'liveness' && probe !== 'readiness') {
    throw new UsageError(`health: --probe must be liveness or readiness, got "${probe}"`);
  }
  const maxAge = stringFlag(values, 'max-pending-age');
  const maxRate = stringFlag(values, 'max-failure-rate');
  const leaseTtl = stringFlag(values, 'lease-ttl');
  const deadline = deadlineOf(context);
  const options: VerdictOptions = {
    maxPendingAgeMs: maxAge ? parseDuration('max-pending-age', maxAge) : null,
    maxFailureRate: maxRate ? parseRate('max-failure-rate', maxRate) : null,
    timeoutMs: deadline.totalMs,
  };
  const leaseTtlMs = leaseTtl ? parseDuration('lease-ttl', leaseTtl) : DEFAULT_LEASE_TTL_MS;
  const target = storeTarget(context);
  const checkedAt = Date.now();

  let verdict: Verdict;
  let snapshot: HealthSnapshot | null = null;
  let backend: string | null = null;
  let latencyMs: number | null = null;
  try {
    const opening = performance.now();
    const store = await openStore(target, deadline);
    backend = store.backend.name;
    try {
      const now = await probeStore(store, deadline);
      latencyMs = performance.now() - opening;
      if (probe === 'liveness') {
        verdict = judgeLiveness({ backend, latencyMs }, options);
      } else {
        snapshot = await collect(store, deadline, { now, latencyMs, leaseTtlMs });
        verdict = judge(snapshot, options);
      }
    } finally {
      await store.close();
    }
  } catch (error) {
    if ((error as { exitCode?: unknown }).exitCode === EXIT.usage) throw error;
    verdict = unreachable(reasonOf(error));
    snapshot = null;
  }

  if (values.json === true) {
    print.json(
      healthJson(verdict, snapshot, { store: target.display, backend, latencyMs, probe, checkedAt }),
    );
  } else {
    const styles = print.out;
    const color =
      verdict.status === 'healthy' ? styles.ok : verdict.status === 'degraded' ? styles.warn : styles.fail;
    const [word, ...rest] = verdict.summary.split(':');
    print.line(`${color(word!)}:${rest.join(':')}`);
    if (values.detailed === true) {
      for (const line of detailedTree(verdict, snapshot, target.display, styles)) print.line(line);
    }
  }
  if (verdict.status === 'unhealthy') return EXIT.failure;
  if (verdict.status === 'degraded' && values.strict === true) return EXIT.failure;
  return EXIT.ok;
}
