#!/usr/bin/env node
// Null and power runs of the value metrics (docs/validation.md, "Values") on data/nafld.
//
// For each of --splits seeded splits of N random nafld patients into halves X and Y, Y plays the
// synthetic cohort and is validated against X exactly as `trajsim validate` does (5 repeats,
// default thresholds): the null ratios of every `values.*` metric. Then, on the same splits,
// two perturbed copies of Y: LAB:hdl values shifted by +1 real SD, and LAB:hdl values shuffled
// across the code's events (seeded), which keeps their distribution but breaks the
// within-patient autocorrelation and the value → death association. Prints JSON.
//
//   npm run build && nice -n 10 node scripts/calibrate-values.mjs --splits 20 --n 6000 [--null-only]
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  defaultThresholds,
  importTimeline,
  Rng,
  readTimeline,
  selectPatients,
  validateTimelineDirs,
  writeTimeline,
} from 'trajsim';

const { values: args } = parseArgs({
  options: {
    splits: { type: 'string', default: '20' },
    n: { type: 'string', default: '6000' },
    code: { type: 'string', default: 'LAB:hdl' },
    label: { type: 'string', default: 'values' },
    'null-only': { type: 'boolean', default: false },
  },
});
const splits = Number(args.splits);
const N = Number(args.n);
const dir = join(tmpdir(), 'trajsim-calibrate-values-nafld');
if (!existsSync(dir)) {
  await importTimeline({
    patients: 'data/nafld/patients.csv',
    events: 'data/nafld/events.csv',
    out: dir,
    name: 'nafld',
  });
}
const full = await readTimeline(dir);
const work = join(tmpdir(), 'trajsim-calibrate-values-splits');

/** A copy of `t` whose `code` values are changed by `f(values, rng)` (in event order). */
function perturb(t, code, f, rng) {
  const c = t.events.codes.indexOf(code);
  const value = Float64Array.from(t.events.value);
  const idx = [];
  for (let i = 0; i < value.length; i++)
    if (t.events.code[i] === c && !Number.isNaN(value[i])) idx.push(i);
  const vs = Float64Array.from(idx, (i) => value[i]);
  const out = f(vs, rng);
  idx.forEach((i, j) => {
    value[i] = out[j];
  });
  return { ...t, name: `${t.name}-perturbed`, events: { ...t.events, value } };
}
const sdOf = (t, code) => {
  const c = t.events.codes.indexOf(code);
  const v = [];
  for (let i = 0; i < t.events.value.length; i++)
    if (t.events.code[i] === c && !Number.isNaN(t.events.value[i])) v.push(t.events.value[i]);
  const m = v.reduce((s, x) => s + x, 0) / v.length;
  return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1));
};
const sd = sdOf(full, args.code);
const variants = {
  same: (y) => y,
  shift: (y, rng) => perturb(y, args.code, (v) => v.map((x) => x + sd), rng),
  shuffle: (y, rng) =>
    perturb(
      y,
      args.code,
      (v, r) => {
        const w = Float64Array.from(v);
        r.shuffle(w);
        return w;
      },
      rng,
    ),
};

const thresholds = defaultThresholds();
const ratios = {};
const result = { variants: {} };
const started = Date.now();
for (let s = 0; s < splits; s++) {
  const rng = new Rng(`${args.label}-${s}`);
  const idx = Int32Array.from({ length: full.patients.ids.length }, (_, i) => i);
  rng.fork('sample').shuffle(idx);
  const X = selectPatients(full, idx.slice(0, N / 2).sort(), 'X');
  const Y = selectPatients(full, idx.slice(N / 2, N).sort(), 'Y');
  const xDir = join(work, 'X');
  await writeTimeline(X, xDir, { overwrite: true });
  for (const [name, make] of Object.entries(variants)) {
    if (args['null-only'] && name !== 'same') continue;
    const yDir = join(work, `Y-${name}`);
    await writeTimeline(make(Y, rng.fork(name)), yDir, { overwrite: true });
    const report = await validateTimelineDirs(xDir, [yDir], { thresholds, seed: String(s) });
    const failed = report.metrics
      .filter((m) => m.pass === false)
      .map((m) => `${m.id} ${m.ratio.toFixed(2)}`);
    result.variants[name] ??= { passed: 0, runs: 0, failedValueMetrics: {} };
    const v = result.variants[name];
    v.runs++;
    if (report.passed) v.passed++;
    for (const f of failed) {
      const id = f.split(' ')[0];
      if (id.startsWith('values.')) v.failedValueMetrics[id] = (v.failedValueMetrics[id] ?? 0) + 1;
    }
    if (name !== 'same') continue;
    for (const m of report.metrics) {
      if (m.family !== 'values' || !Number.isFinite(m.ratio)) continue;
      const kind = m.id.replace(/^values\.[^.]+\./, '');
      ratios[kind] ??= [];
      ratios[kind].push(m.ratio);
    }
  }
  process.stderr.write(
    `split ${s + 1}/${splits} ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
  );
}
const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
result.nullRatios = Object.fromEntries(
  Object.entries(ratios).map(([k, xs]) => [
    k,
    { n: xs.length, median: q(xs, 0.5), p95: q(xs, 0.95), p99: q(xs, 0.99), max: Math.max(...xs) },
  ]),
);
result.settings = {
  splits,
  n: N,
  code: args.code,
  sd,
  label: args.label,
  seconds: (Date.now() - started) / 1000,
};
console.log(JSON.stringify(result, null, 1));
