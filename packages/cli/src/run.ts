import { parseCommandLine } from './args.js';
import { backup } from './commands/backup.js';
import type { CommandContext } from './commands/context.js';
import { health } from './commands/health.js';
import { jobsList, jobsRun, jobsSetPaused } from './commands/jobs.js';
import { tasksCancel, tasksList, tasksRetry, tasksShow } from './commands/tasks.js';
import { top } from './commands/top.js';
import { CliError, EXIT } from './errors.js';
import { commandHelp, groupHelp, mainHelp } from './help.js';
import { type Io, Printer } from './io.js';

type Handler = (context: CommandContext) => Promise<number>;

const HANDLERS: Record<string, Handler> = {
  health,
  'tasks list': tasksList,
  'tasks show': tasksShow,
  'tasks retry': tasksRetry,
  'tasks cancel': tasksCancel,
  'jobs list': jobsList,
  'jobs pause': jobsSetPaused(true),
  'jobs resume': jobsSetPaused(false),
  'jobs run': jobsRun,
  backup,
  top,
};

/**
 * Runs one command line and returns its exit code; never throws. Errors
 * become one masked line on stderr: `errand: <what went wrong>`.
 */
export async function run(argv: readonly string[], io: Io, startedAt = performance.now()): Promise<number> {
  const print = new Printer(io);
  try {
    const invocation = parseCommandLine(argv);
    if (invocation.kind === 'version') {
      print.line(VERSION);
      return EXIT.ok;
    }
    if (invocation.kind === 'help') {
      const topic = invocation.topic;
      print.line(
        topic === null ? mainHelp() : typeof topic === 'string' ? groupHelp(topic) : commandHelp(topic),
      );
      return EXIT.ok;
    }
    const handler = HANDLERS[invocation.spec.words.join(' ')]!;
    return await handler({
      io,
      print,
      values: invocation.values,
      positionals: invocation.positionals,
      startedAt,
    });
  } catch (error) {
    const exitCode = error instanceof CliError ? error.exitCode : EXIT.failure;
    const message = error instanceof Error ? error.message : String(error);
    print.error(`errand: ${message}`);
    return exitCode;
  }
}

declare const __ERRAND_CLI_VERSION__: string | undefined;
const VERSION = typeof __ERRAND_CLI_VERSION__ === 'string' ? __ERRAND_CLI_VERSION__ : 'dev';
