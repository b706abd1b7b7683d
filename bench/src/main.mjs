// npm run bench [-- --quick] [--runs=N] [--only=bullmq,errand-sqlite] [--render=results/latest.json]
// Runs every measurement in its own child process, repeats the whole plan
// `runs` times (interleaved, so a slow minute hurts every system alike), then
// writes bench/results/latest.md, a dated copy, latest.json (every raw
// figure) and throughput.png. --render redraws the report and chart from a
// saved latest.json without measuring anything.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { renderChart } from './chart.mjs';
import { describeMachine, packageVersion } from './machine.mjs';
import { makePlan } from './plan.mjs';
import { renderReport } from './report.mjs';
import { runInChild } from './run-child.mjs';

const RETRY_DELAY_MS = 10_000;

function parseArgs(argv) {
  const value = (name) => argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
  return {
    quick: argv.includes('--quick'),
    runs: value('runs') ? Number(value('runs')) : undefined,
    only: value('only')?.split(','),
    render: value('render'),
    // --quick is a smoke test: it never overwrites the committed full results.
    out:
      value('out') ??
      new URL(argv.includes('--quick') ? '../results/quick/' : '../results/', import.meta.url).pathname,
  };
}

function brief(workload, result) {
  switch (workload.split('@')[0]) {
    case 'throughput':
    case 'fleet':
    case 'bulk':
      return `${Math.round(result.tasksPerSecond).toLocaleString('en-US')} tasks/s`;
    case 'latency':
    case 'fleet-latency':
      return `p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms`;
    case 'memory':
      return `${Math.round(result.bytesPerRecord)} B/record, RSS ${result.rssMiB.toFixed(0)} MiB`;
    case 'flush':
      return `${result.errandMs.toFixed(0)} ms vs raw ${result.rawMs.toFixed(0)} ms`;
    case 'ceiling':
      return `${Math.round(result.rowsPerSecond).toLocaleString('en-US')} rows/s`;
    case 'retention':
      return (
        `${result.deleted.toLocaleString('en-US')} deleted in ${result.cleanupSeconds.toFixed(1)} s, ` +
        `enqueue p99 ${result.duringP99.toFixed(1)} ms, max ${result.duringMax.toFixed(1)} ms`
      );
    case 'server':
      return (
        `${Math.round(result.requestsPerSecond).toLocaleString('en-US')} req/s, p50 ${result.p50} ms, ` +
        `p99 ${result.p99} ms, ${result.completed} tasks run`
      );
    default:
      return JSON.stringify(result);
  }
}

async function measure(args) {
  const plan = makePlan(args);
  const began = Date.now();
  console.log(
    `errand bench: ${plan.quick ? 'quick' : 'full'}, ${plan.jobs.length} measurements x ${plan.settings.runs} run(s)`,
  );
  const machine = await describeMachine();
  /** @type {Map<string, { job: object, results: object[], errors: string[], givenUp?: boolean }>} */
  const outcomes = new Map(
    plan.jobs.map((job) => [`${job.workload}:${job.target}`, { job, results: [], errors: [] }]),
  );
  for (let run = 1; run <= plan.settings.runs; run++) {
    for (const [key, outcome] of outcomes) {
      // A measurement that failed twice in a row is given up: its row shows the error.
      if (outcome.givenUp) continue;
      // A long measurement may run fewer times than the plan (its job says how many).
      if (run > (outcome.job.runs ?? plan.settings.runs)) continue;
      const { workload, target, params, timeoutMs } = outcome.job;
      for (let attempt = 1; attempt <= 2; attempt++) {
        const started = performance.now();
        const reply = await runInChild({ workload, target, params }, timeoutMs);
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        const tag = `[${run}/${plan.settings.runs}] ${key}`;
        if (reply.ok) {
          outcome.results.push(reply.result);
          console.log(`${tag}: ${brief(workload, reply.result)} (${seconds} s)`);
          break;
        }
        outcome.errors.push(`run ${run}: ${reply.error}`);
        console.log(`${tag}: FAILED (${seconds} s): ${reply.error.split('\n')[0]}`);
        if (attempt === 2) outcome.givenUp = true;
        // Give a service that restarted, or packages being rebuilt, a moment before the retry.
        else await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
      }
    }
  }
  const versions = {
    errand: await packageVersion('@errand/core'),
    bullmq: await packageVersion('bullmq'),
    'pg-boss': await packageVersion('pg-boss'),
    'graphile-worker': await packageVersion('graphile-worker'),
  };
  return {
    options: { quick: args.quick, runs: args.runs, only: args.only },
    machine,
    versions,
    date: new Date().toISOString(),
    seconds: (Date.now() - began) / 1000,
    outcomes: [...outcomes.values()],
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const saved = args.render ? JSON.parse(await readFile(args.render, 'utf8')) : await measure(args);
  const plan = makePlan(saved.options);
  const outcomes = new Map(
    saved.outcomes.map((outcome) => [`${outcome.job.workload}:${outcome.job.target}`, outcome]),
  );
  const date = new Date(saved.date);
  const { machine, versions, seconds } = saved;
  const report = renderReport({ plan, machine, versions, outcomes, date, seconds });
  const out = args.out.endsWith('/') ? args.out : `${args.out}/`;
  await mkdir(out, { recursive: true });
  const name = `${plan.quick ? 'quick-' : ''}${saved.date.slice(0, 10)}`;
  await writeFile(`${out}latest.md`, report);
  await writeFile(`${out}${name}.md`, report);
  if (!args.render) await writeFile(`${out}latest.json`, `${JSON.stringify(saved, null, 1)}\n`);
  await writeFile(`${out}throughput.png`, await renderChart({ plan, outcomes, machine, date }));
  console.log(`wrote ${out}latest.md, ${name}.md${args.render ? '' : ', latest.json'} and throughput.png`);
  const failed = saved.outcomes.filter((outcome) => outcome.results.length === 0);
  if (failed.length > 0) console.log(`${failed.length} measurement(s) failed: see their rows in the report`);
  // A peer that cannot run here shows an error row; Errand's own rows and the raw ones must work.
  const ours = ['flush', 'ceiling', 'retention'];
  if (failed.some(({ job }) => ours.includes(job.workload.split('@')[0]) || job.target.startsWith('errand-')))
    process.exitCode = 1;
}

main().then(
  // Exit even if a driver left a handle open: the report is written.
  () => process.exit(),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
