#!/usr/bin/env node
// `npm run check:packages`: lints what npm would publish, from the packed tarball of
// every published package (build first: this script builds nothing). It fails on
//   - any publint error or warning (publint --strict; suggestions are only shown),
//   - any problem "Are the types wrong?" (attw) finds in the exports map,
//   - a tarball without LICENSE or README.md, or a README with relative links
//     (they break on npm's page, where the rest of the repository is absent).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packPackage, publishedPackages, root } from './pack-packages.mjs';

/**
 * attw runs per package; a package listed here gets these runs instead of one
 * default (strict profile, every entry point) run. Every exception says why.
 */
// Subpath exports (`/testing`, `/metrics`, `/node`, `/fastify`, `/describe`) cannot resolve under
// TypeScript's legacy node10 resolution (\`moduleResolution: "node"\`), which predates the exports
// map; every package needs Node >= 20, whose users resolve with node16/nodenext or a bundler. So
// these packages are checked under attw's node16 profile (node16 from CJS and ESM, and bundler).
const NODE16 = [['--profile', 'node16']];
const ATTW_RUNS = {
  '@errand/core': NODE16,
  '@errand/dashboard': NODE16,
  '@errand/scheduler': NODE16,
};

const bin = (name) => join(root, 'node_modules', '.bin', name);
const problems = [];

function run(label, command, args) {
  console.log(`\n$ ${label}`);
  const result = spawnSync(command, args, { stdio: 'inherit' });
  return result.status === 0;
}

/** Links such as `](../../README.md)` or `](./docs)` in a README that npm shows alone. */
function relativeLinks(readme) {
  return [...readme.matchAll(/\]\((?!https?:|mailto:|#)([^)]+)\)/g)].map((match) => match[1]);
}

const dest = mkdtempSync(join(tmpdir(), 'errand-check-packages-'));
try {
  for (const pkg of publishedPackages()) {
    console.log(`\n=== ${pkg.name}`);
    const packed = packPackage(pkg, dest);
    console.log(
      `${packed.tarball}: ${packed.files.length} files, ${packed.size} B packed, ${packed.unpackedSize} B unpacked`,
    );
    for (const required of ['LICENSE', 'README.md', 'package.json']) {
      if (!packed.files.includes(required)) problems.push(`${pkg.name}: the tarball has no ${required}`);
    }
    const links = relativeLinks(readFileSync(join(pkg.dir, 'README.md'), 'utf8'));
    if (links.length > 0) {
      problems.push(`${pkg.name}: README.md has relative links, broken on npm: ${links.join(', ')}`);
    }
    if (!run(`publint run --strict ${packed.tarball}`, bin('publint'), ['run', '--strict', packed.tarball])) {
      problems.push(`${pkg.name}: publint`);
    }
    for (const options of ATTW_RUNS[pkg.name] ?? [[]]) {
      const args = [packed.tarball, ...options];
      if (!run(`attw ${args.join(' ')}`, bin('attw'), args)) {
        problems.push(`${pkg.name}: attw ${options.join(' ')}`.trim());
      }
    }
  }
} catch (error) {
  problems.push(error instanceof Error ? error.message : String(error));
} finally {
  rmSync(dest, { recursive: true, force: true });
}

console.log('');
for (const problem of problems) console.error(`PROBLEM: ${problem}`);
console.log(
  problems.length === 0
    ? 'check:packages: every package is fine'
    : `check:packages: ${problems.length} problem(s)`,
);
process.exit(problems.length === 0 ? 0 : 1);
