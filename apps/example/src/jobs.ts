import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SqliteBackend } from '@errand/backend-sqlite';
import type { Scheduler } from '@errand/scheduler';

/** The example's scheduled jobs; every run is a task with retries, logs and history. */
export function declareJobs(scheduler: Scheduler, backend: SqliteBackend, dataDir: string): void {
  // Daily at 02:00 UTC: an online backup of the task database, newest 7 kept.
  scheduler.add(backend.backupJob({ dir: join(dataDir, 'backups'), keep: 7 }));

  scheduler.add({
    id: 'cleanup_temp',
    every: '6h',
    fn: async (ctx) => {
      const dir = join(dataDir, 'tmp');
      const files = await readdir(dir).catch(() => []);
      let removed = 0;
      for (const file of files) {
        const { mtimeMs } = await stat(join(dir, file));
        if (Date.now() - mtimeMs > 86_400_000) {
          await rm(join(dir, file), { force: true });
          removed++;
        }
      }
      ctx.log('temporary files cleaned', { removed, kept: files.length - removed });
      return { removed };
    },
  });

  scheduler.add({
    id: 'report_gen',
    cron: '0 9 * * 1',
    timezone: 'Europe/Berlin',
    task: 'buildReport',
    args: ['weekly'],
  });
}
