import { parseArgs } from 'node:util';
import { COMMANDS, type CommandSpec, GROUPS, type OptionSpec } from './commands/spec.js';
import { UsageError } from './errors.js';

/** What the command line asks for. */
export type Invocation =
  | { kind: 'help'; topic: CommandSpec | string | null }
  | { kind: 'version' }
  | {
      kind: 'command';
      spec: CommandSpec;
      /** Positional arguments after the command words, in `spec.positionals` order. */
      positionals: string[];
      values: Record<string, string | boolean | undefined>;
    };

type ParseOptions = Record<string, { type: 'string' | 'boolean'; short?: string }>;

function parseOptions(options: Record<string, OptionSpec>): ParseOptions {
  const result: ParseOptions = {};
  for (const [name, option] of Object.entries(options)) {
    result[name] = option.short ? { type: option.type, short: option.short } : { type: option.type };
  }
  return result;
}

/** Every flag of every command: enough to find the command words wherever the flags stand. */
const ALL_OPTIONS: ParseOptions = Object.assign(
  { version: { type: 'boolean', short: 'V' } },
  ...COMMANDS.map((spec) => parseOptions(spec.options)),
);

function usage(error: unknown, spec: CommandSpec | null): UsageError {
  const message = error instanceof Error ? error.message : String(error);
  // parseArgs explains in several sentences; the first says what was wrong.
  const first = message.split(/\.\s/)[0]!.replace(/\.$/, '');
  return new UsageError(spec ? `${spec.words.join(' ')}: ${first}` : first);
}

/**
 * Reads argv (without node and the script). Flags may stand before or after
 * the command words; anything unknown, missing or extra is a UsageError
 * (exit 64).
 */
export function parseCommandLine(argv: readonly string[]): Invocation {
  let loose: ReturnType<typeof parseArgs>;
  try {
    loose = parseArgs({ args: [...argv], options: ALL_OPTIONS, allowPositionals: true, strict: false });
  } catch (error) {
    throw usage(error, null);
  }
  const words = loose.positionals;
  const wantsHelp = loose.values.help === true;
  if (loose.values.version === true && words.length === 0) return { kind: 'version' };
  if (words[0] === 'help') {
    const topic = words.slice(1);
    if (topic.length === 0) return { kind: 'help', topic: null };
    const spec = findCommand(topic);
    if (spec) return { kind: 'help', topic: spec };
    if (topic.length === 1 && GROUPS[topic[0]!]) return { kind: 'help', topic: topic[0]! };
    throw new UsageError(`help: no command "${topic.join(' ')}"`);
  }
  if (words.length === 0) {
    if (wantsHelp) return { kind: 'help', topic: null };
    throw new UsageError('no command given (try errand --help)');
  }
  const spec = findCommand(words);
  if (!spec) {
    if (GROUPS[words[0]!] && (words.length === 1 || wantsHelp)) {
      if (wantsHelp) return { kind: 'help', topic: words[0]! };
      throw new UsageError(`${words[0]}: name a subcommand (try errand ${words[0]} --help)`);
    }
    const known = GROUPS[words[0]!] ? `${words[0]} ${words[1]}` : words[0];
    throw new UsageError(`unknown command "${known}" (try errand --help)`);
  }
  if (wantsHelp) return { kind: 'help', topic: spec };
  let strict: ReturnType<typeof parseArgs>;
  try {
    strict = parseArgs({
      args: [...argv],
      options: parseOptions(spec.options),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw usage(error, spec);
  }
  const positionals = strict.positionals.slice(spec.words.length);
  const name = spec.words.join(' ');
  if (positionals.length < spec.positionals.length) {
    throw new UsageError(`${name}: missing ${spec.positionals.slice(positionals.length).join(' ')}`);
  }
  if (positionals.length > spec.positionals.length) {
    throw new UsageError(`${name}: unexpected argument "${positionals[spec.positionals.length]}"`);
  }
  for (const [flag, value] of Object.entries(strict.values)) {
    if (value === '') throw new UsageError(`${name}: --${flag} needs a value`);
  }
  return {
    kind: 'command',
    spec,
    positionals,
    values: strict.values as Record<string, string | boolean | undefined>,
  };
}

function findCommand(words: readonly string[]): CommandSpec | undefined {
  return COMMANDS.find((spec) => spec.words.every((word, index) => words[index] === word));
}
