import { COMMANDS, type CommandSpec, GROUPS } from './commands/spec.js';

function flagColumn(name: string, spec: CommandSpec['options'][string]): string {
  const short = spec.short ? `-${spec.short}, ` : '    ';
  return `${short}--${name}${spec.value ? ` ${spec.value}` : ''}`;
}

/** `errand <command> --help`. */
export function commandHelp(spec: CommandSpec): string {
  const args = spec.positionals.map((name) => ` ${name}`).join('');
  const flags = Object.entries(spec.options).map(([name, option]) => [flagColumn(name, option), option.help]);
  const width = Math.max(...flags.map(([flag]) => flag!.length));
  return [
    `Usage: errand ${spec.words.join(' ')}${args} [flags]`,
    '',
    spec.summary,
    '',
    'Flags:',
    ...flags.map(([flag, help]) => `  ${flag!.padEnd(width)}  ${help}`),
    ...(spec.notes ? ['', ...spec.notes] : []),
  ].join('\n');
}

/** `errand tasks --help`: the commands of one group. */
export function groupHelp(group: string): string {
  const specs = COMMANDS.filter((spec) => spec.words[0] === group);
  return [
    `Usage: errand ${group} <command> [flags]`,
    '',
    GROUPS[group] ?? '',
    '',
    'Commands:',
    ...list(specs),
    '',
    `errand ${group} <command> --help shows its flags.`,
  ].join('\n');
}

function list(specs: CommandSpec[]): string[] {
  const names = specs.map((spec) => [spec.words.join(' ') + spec.positionals.map((p) => ` ${p}`).join('')]);
  const width = Math.max(...names.map(([name]) => name!.length));
  return specs.map((spec, index) => `  ${names[index]![0]!.padEnd(width)}  ${spec.summary}`);
}

/** `errand --help`. */
export function mainHelp(): string {
  return [
    'Usage: errand <command> [flags]',
    '',
    'Reads an Errand store directly, so it works while the application is down.',
    '',
    'Commands:',
    ...list(COMMANDS),
    '',
    'Every command takes --store URL (or $ERRAND_STORE_URL) and --help.',
    'Exit codes: 0 done (healthy), 1 failed (unhealthy, unreachable, timed out), 64 usage error.',
  ].join('\n');
}
