import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../src/args.js';
import { EXIT, UsageError } from '../src/errors.js';

function usageOf(argv: string[]): UsageError {
  try {
    parseCommandLine(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(EXIT.usage);
    return error as UsageError;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
}

describe('parseCommandLine', () => {
  it('finds the command wherever the flags stand', () => {
    for (const argv of [
      ['health', '--store', 'sqlite:x.db', '--detailed'],
      ['--store', 'sqlite:x.db', 'health', '--detailed'],
    ]) {
      const parsed = parseCommandLine(argv);
      expect(parsed.kind).toBe('command');
      if (parsed.kind !== 'command') return;
      expect(parsed.spec.words).toEqual(['health']);
      expect(parsed.values).toMatchObject({ store: 'sqlite:x.db', detailed: true });
    }
  });

  it('reads two-word commands and their positional id', () => {
    const parsed = parseCommandLine(['tasks', 'retry', '0190-abc', '--yes']);
    expect(parsed).toMatchObject({ kind: 'command', positionals: ['0190-abc'], values: { yes: true } });
    if (parsed.kind === 'command') expect(parsed.spec.words).toEqual(['tasks', 'retry']);
  });

  it('answers --help on every command, every group and at the top', () => {
    expect(parseCommandLine(['--help'])).toEqual({ kind: 'help', topic: null });
    expect(parseCommandLine(['help'])).toEqual({ kind: 'help', topic: null });
    expect(parseCommandLine(['tasks', '--help'])).toEqual({ kind: 'help', topic: 'tasks' });
    for (const words of [['health'], ['tasks', 'show'], ['jobs', 'run'], ['backup'], ['top']]) {
      const parsed = parseCommandLine([...words, '-h']);
      expect(parsed.kind).toBe('help');
      if (parsed.kind === 'help') expect(parsed.topic).toMatchObject({ words });
      expect(parseCommandLine(['help', ...words])).toEqual(parsed);
    }
  });

  it('refuses what it does not know with a usage error (exit 64), naming the problem', () => {
    expect(usageOf(['health', '--bogus']).message).toMatch(/health: Unknown option '--bogus'/);
    expect(usageOf([]).message).toMatch(/no command/);
    expect(usageOf(['frobnicate']).message).toMatch(/unknown command "frobnicate"/);
    expect(usageOf(['tasks', 'frob']).message).toMatch(/unknown command "tasks frob"/);
    expect(usageOf(['jobs']).message).toMatch(/name a subcommand/);
    expect(usageOf(['tasks', 'show']).message).toMatch(/missing ID/);
    expect(usageOf(['tasks', 'show', 'a', 'b']).message).toMatch(/unexpected argument "b"/);
    expect(usageOf(['health', '--store']).message).toMatch(/--store/);
    expect(usageOf(['health', '--store=']).message).toMatch(/--store needs a value/);
    // A flag of another command is not accepted here.
    expect(usageOf(['health', '--dir', 'x']).message).toMatch(/Unknown option '--dir'/);
  });

  it('reads --version', () => {
    expect(parseCommandLine(['--version'])).toEqual({ kind: 'version' });
  });
});
