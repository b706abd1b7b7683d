/**
 * Checks that a real service (PostgreSQL, MariaDB, Redis...) answers before a
 * backend's tests use it.
 *
 * Under `CI=true` an unreachable service is an error that says how to start
 * it: CI must never pass by skipping. Locally it prints a visible notice and
 * returns false, and the caller skips that backend's tests.
 */
export async function requireService(
  name: string,
  probe: () => Promise<unknown>,
  startCommand: string,
): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const message = `${name} is not reachable (${reason}). Start it with:\n  ${startCommand}`;
    if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(message);
    process.stderr.write(`\n*** SKIPPING ${name} tests: ${message}\n\n`);
    return false;
  }
}
