#!/usr/bin/env node
// Benchmark of `trajsim validate` at scale, against dist/ (run `npm run build` first).
//
//   node scripts/bench-validate.mjs [--real DIR] [--synthetic DIR] [--out DIR]
//                                   [--real-patients N] [--synthetic-patients N]
//
// Generates the reference cohorts once with `trajsim reference` when the directories do not
// exist (default: 100k real, 1M synthetic under /tmp/trajsim-bench), then validates the
// synthetic cohort against the real one in this process (summaries, noise floor with 5
// splits, matched subsamples, metrics, report.json and report.html) and prints JSON with the
// wall seconds and the peak RSS. Targets: ≤ 60 s and ≤ 4 GiB on 2 cores.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const { values } = parseArgs({
  options: {
    real: { type: 'string', default: '/tmp/trajsim-bench/real-100k' },
    synthetic: { type: 'string', default: '/tmp/trajsim-bench/synthetic-1m' },
    out: { type: 'string', default: '/tmp/trajsim-bench/fidelity' },
    'real-patients': { type: 'string', default: '100000' },
    'synthetic-patients': { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
  },
});

function ensureReference(dir, patients, seed) {
  if (existsSync(join(dir, 'timeline.json'))) return;
  mkdirSync(dirname(dir), { recursive: true });
  const r = spawnSync(
    process.execPath,
    [
      join(dist, 'cli/main.js'),
      'reference',
      '--patients',
      patients,
      '--seed',
      seed,
      '--out',
      dir,
      '--quiet',
    ],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error(`trajsim reference failed for ${dir}`);
}

ensureReference(values.real, values['real-patients'], 'bench-real');
ensureReference(values.synthetic, values['synthetic-patients'], 'bench-synthetic');

const { validateTimelineDirs } = await import(join(dist, 'validate/validate-dirs.js'));
const { defaultThresholds } = await import(join(dist, 'validate/default-thresholds.js'));
const { fidelityReportJson } = await import(join(dist, 'validate/fidelity-report.js'));
const { renderReportHtml } = await import(join(dist, 'report/render-report.js'));

// Baseline measured in the same run: reading both timelines into memory (the I/O floor that
// any validator pays), so `ratio_to_read` says what the statistics cost on top of it.
const { readTimeline } = await import(join(dist, 'timeline/read.js'));
const readStarted = performance.now();
for (const dir of [values.real, values.synthetic]) await readTimeline(dir);
const readSeconds = (performance.now() - readStarted) / 1000;

const started = performance.now();
const report = await validateTimelineDirs(values.real, [values.synthetic], {
  thresholds: defaultThresholds(),
  seed: values.seed,
});
mkdirSync(values.out, { recursive: true });
writeFileSync(join(values.out, 'report.json'), fidelityReportJson(report));
writeFileSync(join(values.out, 'report.html'), renderReportHtml(report));
const wallSeconds = (performance.now() - started) / 1000;
const peakRssMiB = process.resourceUsage().maxRSS / 1024;

console.log(
  JSON.stringify(
    {
      realPatients: report.real.patients,
      syntheticPatients: report.synthetic.patients,
      syntheticEvents: report.synthetic.events,
      repeats: report.settings.repeats,
      wallSeconds: Math.round(wallSeconds * 10) / 10,
      baselineReadSeconds: Math.round(readSeconds * 10) / 10,
      ratioToRead: Math.round((wallSeconds / readSeconds) * 100) / 100,
      peakRssMiB: Math.round(peakRssMiB),
      passed: report.passed,
      failed: report.metrics.filter((m) => m.pass === false).map((m) => m.id),
      targets: { wallSeconds: 60, peakRssMiB: 4096 },
      withinTargets: wallSeconds <= 60 && peakRssMiB <= 4096,
      report: join(values.out, 'report.html'),
    },
    null,
    2,
  ),
);
