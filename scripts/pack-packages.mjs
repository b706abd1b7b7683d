#!/usr/bin/env node
// Packs every published package (packages/* not marked private) into one folder,
// exactly as `npm publish` would, from the dist/ that the build left. Builds nothing:
// a missing dist/ is an error. Used by check-packages.mjs and by the packed-tarball
// install test (apps/quickstart). Alone: `node scripts/pack-packages.mjs <folder>`
// prints the tarballs as JSON.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** Every package that `changeset publish` would publish: name, folder and manifest. */
export function publishedPackages() {
  const packages = [];
  for (const entry of readdirSync(join(root, 'packages')).sort()) {
    const dir = join(root, 'packages', entry);
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    if (!manifest.private) packages.push({ name: manifest.name, dir, manifest });
  }
  return packages;
}

/** `npm pack` of one package into `dest`: the tarball's path, its files and sizes. */
export function packPackage(pkg, dest) {
  if (!existsSync(join(pkg.dir, 'dist'))) {
    throw new Error(`${pkg.name}: no dist/ to pack (run \`npm run build\` first)`);
  }
  mkdirSync(dest, { recursive: true });
  const output = execFileSync('npm', ['pack', '--json', '--pack-destination', dest], {
    cwd: pkg.dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [report] = JSON.parse(output);
  return {
    name: pkg.name,
    tarball: join(dest, report.filename),
    files: report.files.map((file) => file.path),
    size: report.size,
    unpackedSize: report.unpackedSize,
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dest = process.argv[2];
  if (!dest) {
    console.error('usage: node scripts/pack-packages.mjs <folder>');
    process.exit(64);
  }
  const packed = publishedPackages().map((pkg) => packPackage(pkg, resolve(dest)));
  console.log(JSON.stringify(packed.map(({ name, tarball }) => ({ name, tarball }))));
}
