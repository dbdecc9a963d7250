// `npm run bench`: builds, runs every benchmark (or the ones named:
// `npm run bench -- seed pipeline tail cli`), saves the raw figures in
// bench/results/<scale>.json and, at full scale, rewrites docs/benchmarks.md.
//   BENCH_SCALE=smoke npm run bench    small sizes, to check the benchmarks work
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { log, machine, ROOT, SCALE } from './lib.mjs';

/** name -> [module, export]; `seed-rss` is apart because a million items take minutes. */
const BENCHES = {
  cli: ['cli.mjs', 'benchCli'],
  seed: ['seed.mjs', 'benchSeed'],
  'seed-rss': ['seed.mjs', 'benchSeedRss'],
  pipeline: ['pipeline.mjs', 'benchPipeline'],
  tail: ['tail.mjs', 'benchTail'],
  'seed-command': ['seed-command.mjs', 'benchSeedCommand'],
  'seed-template': ['seed-template.mjs', 'benchSeedTemplate'],
  throughput: ['throughput.mjs', 'benchThroughput'],
};
const ALL = Object.keys(BENCHES);
const wanted = process.argv.slice(2).filter((a) => ALL.includes(a));
// `--report`: only re-render docs/benchmarks.md from the saved full figures.
if (process.argv.includes('--report')) {
  const { renderReport } = await import('./report.mjs');
  const saved = JSON.parse(await readFile(path.join(ROOT, 'bench', 'results', 'full.json'), 'utf8'));
  await writeFile(path.join(ROOT, 'docs', 'benchmarks.md'), renderReport(saved));
  log('wrote docs/benchmarks.md');
  process.exit(0);
}
const names = wanted.length ? wanted : ALL;

const resultsFile = path.join(ROOT, 'bench', 'results', `${SCALE}.json`);
let previous = {};
try {
  previous = JSON.parse(await readFile(resultsFile, 'utf8'));
} catch {
  previous = {};
}
// Figures saved before seed-rss was its own benchmark kept the RSS rows under seed.
if (previous.seed?.rss && !previous['seed-rss']) {
  const { rss, loadAverage, measuredAt } = previous.seed;
  previous['seed-rss'] = { rss, loadAverage, measuredAt };
}
// Running a subset keeps the other benchmarks' last figures.
const results = { ...previous, scale: SCALE, machine: machine() };
log(`scale ${SCALE}; load average ${results.machine.loadAverageAtStart.join(' ')}`);

for (const name of names) {
  log(`--- ${name}`);
  const started = Date.now();
  const loadAverage = os.loadavg().map((l) => Math.round(l * 100) / 100);
  try {
    const [file, exported] = BENCHES[name];
    const fn = (await import(`./${file}`))[exported];
    results[name] = { ...(await fn()), loadAverage, measuredAt: new Date().toISOString() };
  } catch (err) {
    log(`${name} failed: ${err.stack ?? err}`);
    results[name] = { error: String(err.message ?? err), measuredAt: new Date().toISOString() };
  }
  log(`${name} done in ${Math.round((Date.now() - started) / 1000)} s`);
}

await mkdir(path.dirname(resultsFile), { recursive: true });
await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
log(`wrote ${path.relative(ROOT, resultsFile)}`);
if (SCALE === 'full') {
  const { renderReport } = await import('./report.mjs');
  await writeFile(path.join(ROOT, 'docs', 'benchmarks.md'), renderReport(results));
  log('wrote docs/benchmarks.md');
}
process.exit(0);
