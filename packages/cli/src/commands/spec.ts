/** One flag of a command, as `node:util` parseArgs reads it and `--help` shows it. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder of the value in help (`DURATION`, `N`...). */
  value?: string;
  help: string;
}

export interface CommandSpec {
  /** The words that name it: `['tasks', 'list']`. */
  words: string[];
  summary: string;
  /** Positional arguments, in order (all required). */
  positionals: string[];
  options: Record<string, OptionSpec>;
  /** Extra lines of `--help`: what the output means, exit codes, examples. */
  notes?: string[];
}

/** Flags every command that reads a store takes. */
export const STORE_OPTIONS: Record<string, OptionSpec> = {
  store: {
    type: 'string',
    value: 'URL',
    help: 'sqlite:PATH, postgres://…, mysql://…, redis://… (default: $ERRAND_STORE_URL)',
  },
  prefix: {
    type: 'string',
    value: 'PREFIX',
    help: 'table prefix (SQL) or key prefix (Redis), if not the default',
  },
  schema: { type: 'string', value: 'NAME', help: 'PostgreSQL schema, if not the default' },
  timeout: { type: 'string', value: 'DURATION', help: 'give up on the store after this long (default 5s)' },
};

const HELP: Record<string, OptionSpec> = { help: { type: 'boolean', short: 'h', help: 'show this help' } };
const JSON_FLAG: OptionSpec = { type: 'boolean', help: 'print JSON instead of text' };
const YES: OptionSpec = { type: 'boolean', short: 'y', help: 'do not ask for confirmation on a terminal' };

function command(
  words: string[],
  summary: string,
  positionals: string[],
  options: Record<string, OptionSpec>,
  notes?: string[],
): CommandSpec {
  return { words, summary, positionals, options: { ...options, ...STORE_OPTIONS, ...HELP }, notes };
}

export const COMMANDS: CommandSpec[] = [
  command(
    ['health'],
    'Is the store answering, an instance alive, every job on time? One verdict line first.',
    [],
    {
      detailed: { type: 'boolean', help: 'add a tree: store, instances, totals, failures, jobs' },
      json: { ...JSON_FLAG, help: 'print the verdict as JSON (schemaVersion 1)' },
      strict: { type: 'boolean', help: 'exit 1 on warnings too (degraded)' },
      probe: { type: 'string', value: 'liveness|readiness', help: 'liveness: only "does the store answer"' },
      'max-pending-age': { type: 'string', value: 'DURATION', help: 'unhealthy when a task waits longer' },
      'max-failure-rate': {
        type: 'string',
        value: 'RATE',
        help: 'unhealthy when more fail over the last hour (5% or 0.05)',
      },
      'lease-ttl': {
        type: 'string',
        value: 'DURATION',
        help: "the instances' leaseTtl, if not the default 15s (tells quiet from stopped)",
      },
    },
    [
      'Exit codes: 0 healthy or degraded (degraded fails with --strict), 1 unhealthy, unreachable',
      'or timed out, 64 usage error.',
      'Example: errand health --store sqlite:./data/tasks.db --detailed',
    ],
  ),
  command(['tasks', 'list'], 'Task history, newest first.', [], {
    status: { type: 'string', value: 'STATUS[,STATUS]', help: 'pending, running, success, failed, …' },
    name: { type: 'string', value: 'NAME', help: 'only tasks of this name' },
    since: {
      type: 'string',
      value: 'DURATION|DATE',
      help: 'created in the last DURATION (1h) or since DATE',
    },
    limit: { type: 'string', value: 'N', help: 'at most N tasks (default 20, at most 1000)' },
    json: { ...JSON_FLAG, help: 'print one JSON array of task records' },
    'show-args': { type: 'boolean', help: "include the tasks' arguments (hidden by default)" },
  }),
  command(['tasks', 'show'], 'One task: status, attempts, timing, error, stack and logs.', ['ID'], {
    json: { ...JSON_FLAG, help: 'print the task record as JSON' },
    'show-args': { type: 'boolean', help: "include the task's arguments (hidden by default)" },
  }),
  command(
    ['tasks', 'retry'],
    'Run a failed, interrupted, cancelled or rejected task again, on a live instance that defines it.',
    ['ID'],
    { yes: YES },
  ),
  command(['tasks', 'cancel'], 'Cancel a pending or running task.', ['ID'], { yes: YES }),
  command(['jobs', 'list'], 'Scheduled jobs: schedule in words, next run, last outcome.', [], {
    json: { ...JSON_FLAG, help: 'print one JSON array of jobs' },
  }),
  command(['jobs', 'pause'], 'Stop a job from firing, on every instance, until resumed.', ['ID'], {
    yes: YES,
  }),
  command(['jobs', 'resume'], 'Let a paused job fire again.', ['ID'], { yes: YES }),
  command(['jobs', 'run'], 'Run a job now, once, as an extra run (its schedule is kept).', ['ID'], {
    yes: YES,
  }),
  command(
    ['backup'],
    'Online backup of a SQLite store into DIR, keeping the newest N (the daily job, on demand).',
    [],
    {
      dir: { type: 'string', value: 'DIR', help: 'folder for the backup files (created when missing)' },
      keep: { type: 'string', value: 'N', help: 'how many backups to keep (default 7)' },
    },
  ),
  command(
    ['top'],
    'A live view of counts, throughput, running tasks and the next jobs; q or Ctrl-C quits.',
    [],
    {
      interval: { type: 'string', value: 'DURATION', help: 'refresh every DURATION (default 2s)' },
    },
  ),
];

/** The groups of two-word commands, for `errand tasks --help`. */
export const GROUPS: Record<string, string> = {
  tasks: 'Task history and operations.',
  jobs: 'Scheduled jobs and operations.',
};
