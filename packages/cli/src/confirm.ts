import { createInterface } from 'node:readline';
import { DeclinedError } from './errors.js';
import type { Io, Printer } from './io.js';

/**
 * Asks before a change to what runs, on a terminal only: `--yes` skips the
 * question, and off a terminal (a script, CI, a pipe) nothing ever waits
 * for input. Anything but y/yes leaves everything as it was.
 */
export async function confirm(io: Io, print: Printer, question: string, yes: boolean): Promise<void> {
  if (yes || io.stdin.isTTY !== true || io.stderr.isTTY !== true) return;
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.question(print.mask(`${question} [y/N] `), resolve);
      rl.once('close', () => resolve(''));
    });
    if (!/^y(es)?$/i.test(answer.trim())) throw new DeclinedError();
  } finally {
    rl.close();
  }
}
