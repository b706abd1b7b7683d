#!/usr/bin/env node
// Prints what the last `npm test` really ran, per package and per backend's
// conformance suite, from the JSON each vitest run writes. Exits non-zero
// when a package ran nothing, or when a conformance suite was skipped on CI.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const onCi = process.env.CI === 'true' || process.env.CI === '1';
const totals = { passed: 0, failed: 0, skipped: 0 };
const problems = [];
const conformance = new Map();

for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(join(root, group)).sort()) {
    const dir = join(root, group, name);
    if (!existsSync(join(dir, 'package.json'))) continue;
    const file = join(dir, '.vitest-results.json');
    if (!existsSync(file)) {
      problems.push(`${group}/${name}: no test results (did its tests run?)`);
      continue;
    }
    const report = JSON.parse(readFileSync(file, 'utf8'));
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const suite of report.testResults) {
      for (const test of suite.assertionResults) {
        const state = test.status === 'passed' ? 'passed' : test.status === 'failed' ? 'failed' : 'skipped';
        counts[state]++;
        const backend = /^(\w+): (backend contract|managers sharing the store|separate processes and SIGKILL|schedule store)/.exec(
          test.ancestorTitles[0] ?? '',
        )?.[1];
        if (backend) {
          const entry = conformance.get(backend) ?? { passed: 0, failed: 0, skipped: 0 };
          entry[state]++;
          conformance.set(backend, entry);
        }
      }
    }
    for (const key of Object.keys(totals)) totals[key] += counts[key];
    if (counts.passed + counts.failed === 0) problems.push(`${group}/${name}: ran no test`);
    console.log(`${`${group}/${name}`.padEnd(28)} ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  }
}

console.log('\nconformance suite (@errand/core/testing), per backend:');
for (const [backend, counts] of [...conformance].sort()) {
  console.log(`  ${backend.padEnd(10)} ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  if (onCi && counts.skipped > 0) problems.push(`conformance on ${backend}: ${counts.skipped} skipped on CI`);
}
for (const problem of problems) console.error(`PROBLEM: ${problem}`);
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(problems.length > 0 || totals.failed > 0 ? 1 : 0);
