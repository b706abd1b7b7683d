import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { confirm } from '../src/confirm.js';
import { DeclinedError } from '../src/errors.js';
import { type Io, Printer } from '../src/io.js';

function fakeIo(
  tty: boolean,
): Io & { out: () => string; err: () => string; stdin: PassThrough & { isTTY?: boolean } } {
  const stdout = Object.assign(new PassThrough(), { isTTY: tty });
  const stderr = Object.assign(new PassThrough(), { isTTY: tty });
  const stdin = Object.assign(new PassThrough(), { isTTY: tty });
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => {
    out += chunk;
  });
  stderr.on('data', (chunk) => {
    err += chunk;
  });
  return { stdout, stderr, stdin, env: {}, cwd: '/', out: () => out, err: () => err };
}

describe('Printer', () => {
  it('masks the store password and URL credentials in everything it prints', () => {
    const io = fakeIo(false);
    const print = new Printer(io);
    print.secrets = ['hunter22'];
    print.line('auth failed for hunter22 at postgres://app:other-secret@db/prod');
    print.error('password=topsecret rejected');
    print.json({ error: 'hunter22' });
    expect(io.out()).toBe('auth failed for *** at postgres://app:***@db/prod\n{\n  "error": "***"\n}\n');
    expect(io.err()).toBe('password=*** rejected\n');
  });
});

describe('confirm', () => {
  it('never waits off a terminal, and is skipped by --yes', async () => {
    const io = fakeIo(false);
    await expect(confirm(io, new Printer(io), 'Retry?', false)).resolves.toBeUndefined();
    const tty = fakeIo(true);
    await expect(confirm(tty, new Printer(tty), 'Retry?', true)).resolves.toBeUndefined();
    expect(tty.err()).toBe('');
  });

  it('asks on a terminal and goes on only on yes', async () => {
    const yes = fakeIo(true);
    const asked = confirm(yes, new Printer(yes), 'Retry task 1?', false);
    yes.stdin.write('y\n');
    await expect(asked).resolves.toBeUndefined();
    expect(yes.err()).toContain('Retry task 1? [y/N] ');

    const no = fakeIo(true);
    const refused = confirm(no, new Printer(no), 'Retry task 1?', false);
    no.stdin.write('\n');
    await expect(refused).rejects.toThrow(DeclinedError);
  });
});
