import { runJobNow, type ScheduleStore } from '@errand/core';
import { confirm } from '../confirm.js';
import { CliError, EXIT, NotFoundError } from '../errors.js';
import { jobJson, viewJobs } from '../jobs/view.js';
import { table } from '../output/table.js';
import type { Store } from '../store/open.js';
import { type CommandContext, withStore } from './context.js';

function schedulesOf(store: Store): ScheduleStore {
  const schedules = store.backend.schedules;
  if (!schedules) {
    throw new CliError('ERR_NO_SCHEDULES', `${store.target.display}: this store holds no scheduled jobs`);
  }
  return schedules;
}

export async function jobsList(context: CommandContext): Promise<number> {
  const { values, print } = context;
  return withStore(context, async (store, deadline) => {
    const schedules = schedulesOf(store);
    const [jobs, now] = await deadline.race('list', Promise.all([schedules.list(), store.backend.now()]));
    const views = await viewJobs(jobs, now);
    if (values.json === true) {
      print.json(views.map(jobJson));
      return EXIT.ok;
    }
    if (views.length === 0) {
      print.line('no jobs stored');
      return EXIT.ok;
    }
    const rows = views.map((job) => [
      job.id,
      job.taskName,
      job.nextRunIn,
      job.lastOutcome ?? '-',
      job.orphaned ? `${job.schedule} (orphaned)` : job.schedule,
    ]);
    for (const line of table(['ID', 'TASK', 'NEXT RUN', 'LAST', 'SCHEDULE'], rows)) print.line(line);
    return EXIT.ok;
  });
}

/**
 * `jobs pause|resume`: the pause flag is stored; every instance's scheduler
 * reads it before it fires a tick, so the change reaches the whole fleet.
 */
export function jobsSetPaused(paused: boolean) {
  return async (context: CommandContext): Promise<number> => {
    const { io, print, positionals, values } = context;
    const id = positionals[0]!;
    return withStore(context, async (store, deadline) => {
      const schedules = schedulesOf(store);
      const job = await deadline.race('get', schedules.get(id));
      if (!job) throw new NotFoundError(`no job with id ${id}`);
      if (job.paused === paused) {
        print.line(`job ${id} is already ${paused ? 'paused' : 'active'}`);
        return EXIT.ok;
      }
      await confirm(
        io,
        print,
        `${paused ? 'Pause' : 'Resume'} job ${id} on every instance?`,
        values.yes === true,
      );
      if (!(await deadline.race('setPaused', schedules.setPaused(id, paused)))) {
        throw new NotFoundError(`no job with id ${id}`);
      }
      print.line(paused ? `job ${id} paused: no instance fires it until resumed` : `job ${id} resumed`);
      return EXIT.ok;
    });
  };
}

export async function jobsRun(context: CommandContext): Promise<number> {
  const { io, print, positionals, values } = context;
  const id = positionals[0]!;
  return withStore(context, async (store, deadline) => {
    const job = await deadline.race('get', schedulesOf(store).get(id));
    if (!job) throw new NotFoundError(`no job with id ${id}`);
    await confirm(io, print, `Run job ${id} (${job.taskName}) now?`, values.yes === true);
    const record = await deadline.race('run', runJobNow(store.backend, id));
    print.line(
      `job ${id}: task ${record.id} is pending; a live instance that defines ${job.taskName} will run it`,
    );
    return EXIT.ok;
  });
}
