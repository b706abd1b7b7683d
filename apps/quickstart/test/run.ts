import { spawn } from 'node:child_process';

/**
 * The environment of a fresh shell: without the variables npm and vitest set for
 * this test run (npm_config_*, npm_package_*, INIT_CWD, NODE_ENV...), which would
 * otherwise steer the nested `npm install` back into this repository.
 */
export function freshEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|NPM_|INIT_CWD$|NODE_ENV$|NODE_OPTIONS$|VITEST|TEST$|TURBO_)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

export interface RunResult {
  stdout: string;
  output: string;
}

/**
 * Runs one command to its end, printing it and what it writes as it goes (so CI
 * shows every step), and rejects with its output if it fails or takes too long.
 */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<RunResult> {
  console.log(`[quickstart] (${options.cwd}) $ ${[command, ...args].join(' ')}`);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout also ends what it started (npm -> node-gyp -> make -> cc).
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? freshEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const tail = output.trim().split('\n').slice(-40).join('\n');
      if (code === 0) {
        console.log(`[quickstart] ok in ${seconds} s${tail ? `\n${tail}` : ''}`);
        resolve({ stdout, output });
      } else {
        const how = signal
          ? `was killed (${signal}) after ${seconds} s`
          : `exited with ${code} after ${seconds} s`;
        reject(new Error(`${command} ${args.join(' ')} ${how}:\n${output}`));
      }
    });
  });
}
