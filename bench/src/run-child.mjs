// Starts one measurement in a child process with its own namespace, kills it
// on timeout, and drops the namespace afterwards whatever happened.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dropNamespace, newNamespace, prepareNamespace } from './services.mjs';

const CHILD = fileURLToPath(new URL('./child.mjs', import.meta.url));

/**
 * @param {Omit<import('./child.mjs').Job, 'namespace'>} job
 * @param {number} timeoutMs
 * @returns {Promise<{ ok: true, result: Record<string, unknown> } | { ok: false, error: string }>}
 */
export async function runInChild(job, timeoutMs) {
  const namespace = newNamespace();
  try {
    await prepareNamespace(namespace);
    return await new Promise((resolve) => {
      let outcome = null;
      let stderr = '';
      const child = fork(CHILD, [JSON.stringify({ ...job, namespace })], {
        execArgv: ['--expose-gc'],
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      child.stderr.on('data', (chunk) => {
        stderr = (stderr + chunk).slice(-4000);
      });
      const timer = setTimeout(() => {
        outcome ??= { ok: false, error: `timed out after ${Math.round(timeoutMs / 1000)} s` };
        child.kill('SIGKILL');
      }, timeoutMs);
      child.on('message', (message) => {
        outcome ??= message;
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        resolve(
          outcome ?? {
            ok: false,
            error: `child exited (${signal ?? code}) without a result${stderr ? `: ${stderr.trim()}` : ''}`,
          },
        );
      });
    });
  } finally {
    const errors = await dropNamespace(namespace);
    if (errors.length > 0) console.error(`  cleanup of ${namespace}: ${errors.join('; ')}`);
  }
}
