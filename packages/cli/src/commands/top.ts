import { emptyCounts, normalizeQuery, type StatusCounts, TASK_STATUSES, type TaskRecord } from '@errand/core';
import { EXIT } from '../errors.js';
import { DEFAULT_LEASE_TTL_MS, viewInstance } from '../health/snapshot.js';
import { jobLine } from '../health/text.js';
import { type JobView, viewJobs } from '../jobs/view.js';
import { table } from '../output/table.js';
import { Deadline } from '../store/deadline.js';
import type { Store } from '../store/open.js';
import { formatCount, formatSpan, parseDuration } from '../values.js';
import { type CommandContext, deadlineOf, stringFlag, withStore } from './context.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const RUNNING_SHOWN = 10;
const JOBS_SHOWN = 5;

interface Frame {
  now: number;
  counts: StatusCounts;
  lastMinute: number;
  perMinuteLastHour: number;
  live: number;
  running: TaskRecord[];
  jobs: JobView[];
}

async function readFrame(store: Store, timeoutMs: number): Promise<Frame> {
  const { backend } = store;
  const deadline = new Deadline(timeoutMs);
  const now = await deadline.race('now', backend.now());
  const [counts, aggregate, running, instances, jobs] = await deadline.race(
    'read',
    Promise.all([
      backend.counts(normalizeQuery({})),
      backend.aggregate({ since: now - HOUR_MS, until: now + 1, bucketMs: MINUTE_MS, durationSample: 0 }),
      backend.query(normalizeQuery({ status: 'running', limit: RUNNING_SHOWN })),
      backend.instances(),
      backend.schedules ? backend.schedules.list() : Promise.resolve([]),
    ]),
  );
  const minuteStart = Math.floor(now / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
  let lastMinute = 0;
  let lastHour = 0;
  for (const row of aggregate.finished) {
    lastHour += row.count;
    if (row.start === minuteStart) lastMinute += row.count;
  }
  return {
    now,
    counts: { ...emptyCounts(), ...counts },
    lastMinute,
    perMinuteLastHour: Math.round((lastHour / 60) * 10) / 10,
    live: instances.filter((i) => viewInstance(i, now, DEFAULT_LEASE_TTL_MS).state === 'live').length,
    running: running.slice(0, RUNNING_SHOWN),
    jobs: (await viewJobs(jobs, now)).slice(0, JOBS_SHOWN),
  };
}

function render(frame: Frame, store: string): string[] {
  const counts = TASK_STATUSES.map((status) => `${status} ${formatCount(frame.counts[status])}`).join('  ');
  const running = frame.running.map((r) => [
    r.id,
    r.name,
    `${r.attempt}/${r.maxAttempts}`,
    r.startedAt === null ? '' : formatSpan(frame.now - r.startedAt),
    r.owner ?? '',
  ]);
  return [
    `errand top — ${store} — ${new Date(frame.now).toISOString()} — q or Ctrl-C quits`,
    '',
    `instances  ${frame.live} live`,
    `tasks      ${counts}`,
    `throughput ${frame.lastMinute} finished last minute, ${frame.perMinuteLastHour}/min over the last hour`,
    '',
    `running (${formatCount(frame.counts.running)})`,
    ...(running.length > 0
      ? table(['ID', 'NAME', 'ATTEMPT', 'FOR', 'INSTANCE'], running).map((l) => `  ${l}`)
      : ['  none']),
    '',
    'next jobs',
    ...(frame.jobs.length > 0 ? frame.jobs.map((job) => `  ${jobLine(job)}`) : ['  none']),
  ];
}

/**
 * `errand top`: redraws every `--interval` on the terminal's alternate
 * screen until q or Ctrl-C. Off a terminal it prints one frame and exits,
 * so that it never runs forever in a script.
 */
export async function top(context: CommandContext): Promise<number> {
  const { io, print, values } = context;
  const intervalText = stringFlag(values, 'interval');
  const intervalMs = intervalText ? parseDuration('interval', intervalText) : 2000;
  const timeoutMs = deadlineOf(context).totalMs;
  return withStore(context, async (store) => {
    const display = store.target.display;
    if (io.stdout.isTTY !== true || io.stdin.isTTY !== true) {
      for (const line of render(await readFrame(store, timeoutMs), display)) print.line(line);
      return EXIT.ok;
    }
    let quit!: () => void;
    const quitting = new Promise<void>((resolve) => {
      quit = resolve;
    });
    const onKey = (data: Buffer) => {
      const key = data.toString();
      if (key === 'q' || key === 'Q' || key === '\x03') quit();
    };
    io.stdin.setRawMode?.(true);
    io.stdin.on('data', onKey);
    io.stdin.resume();
    process.once('SIGINT', quit);
    print.write('\x1b[?1049h\x1b[?25l');
    try {
      let stop = false;
      void quitting.then(() => {
        stop = true;
      });
      while (!stop) {
        let lines: string[];
        try {
          const frame = await readFrame(store, timeoutMs);
          lines = render(frame, display);
        } catch (error) {
          lines = [
            `errand top — ${display}`,
            '',
            `store not answering: ${(error as Error).message}`,
            'retrying…',
          ];
        }
        if (stop) break;
        const height = io.stdout.rows ?? 40;
        print.write(`\x1b[H\x1b[2J${lines.slice(0, height - 1).join('\n')}\n`);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([quitting, new Promise((resolve) => (timer = setTimeout(resolve, intervalMs)))]);
        clearTimeout(timer);
      }
    } finally {
      print.write('\x1b[?25h\x1b[?1049l');
      io.stdin.off('data', onKey);
      io.stdin.setRawMode?.(false);
      io.stdin.pause();
      process.off('SIGINT', quit);
    }
    return EXIT.ok;
  });
}
