import { resolve } from 'node:path';
import { EXIT, UsageError } from '../errors.js';
import type { Printer } from '../io.js';
import { asBackupCapable } from '../store/open.js';
import { formatSpan, parseCount } from '../values.js';
import { type CommandContext, storeTarget, stringFlag, withStore } from './context.js';

const BAR_WIDTH = 30;

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

/**
 * A progress bar on stderr while the backup copies, drawn from SQLite's own
 * count of pages copied and left (at most every 100 ms).
 */
function progressBar(print: Printer): {
  update(copied: { totalPages: number; remainingPages: number }): void;
  stop(ok: boolean): void;
} {
  let drawnAt = 0;
  const draw = (share: number) => {
    const filled = Math.round(share * BAR_WIDTH);
    print.status(`\r[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${Math.round(share * 100)}% `);
  };
  draw(0);
  return {
    update({ totalPages, remainingPages }) {
      const now = performance.now();
      if (now - drawnAt < 100 || totalPages === 0) return;
      drawnAt = now;
      // Below 100% until the copy has also been checked and renamed into place.
      draw(Math.min(0.99, (totalPages - remainingPages) / totalPages));
    },
    stop: (ok) => print.status(ok ? `\r[${'#'.repeat(BAR_WIDTH)}] 100%\n` : '\n'),
  };
}

/**
 * `errand backup`: the daily job's online backup and rotation, on demand.
 * Never asks (it changes nothing that runs); the bar shows on a terminal only.
 */
export async function backup(context: CommandContext): Promise<number> {
  const { values, print, io } = context;
  const dir = stringFlag(values, 'dir');
  if (!dir) throw new UsageError('backup: --dir DIR is required (where the backup files go)');
  const keepText = stringFlag(values, 'keep');
  const keep = keepText ? parseCount('keep', keepText, 10_000) : 7;
  const target = storeTarget(context);
  if (target.kind !== 'sqlite') {
    throw new UsageError(`backup: works on SQLite stores only (--store sqlite:PATH), got ${target.display}`);
  }
  const folder = resolve(io.cwd, dir);
  return withStore(context, async (store) => {
    const backend = asBackupCapable(store);
    const bar = io.stderr.isTTY === true ? progressBar(print) : null;
    let result: Awaited<ReturnType<typeof backend.backup>>;
    try {
      // The copy takes as long as the database needs: --timeout bounds opening the store only.
      result = await backend.backup({ dir: folder, keep, progress: bar?.update });
    } catch (error) {
      bar?.stop(false);
      throw error;
    }
    bar?.stop(true);
    print.line(
      `backup written: ${result.path} (${megabytes(result.bytes)} in ${formatSpan(result.durationMs)})`,
    );
    if (result.removed.length > 0) {
      print.line(
        `rotated away ${result.removed.length} older (keeping ${keep}): ${result.removed.join(', ')}`,
      );
    }
    return EXIT.ok;
  });
}
