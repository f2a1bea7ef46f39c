#!/usr/bin/env node
// Calibration of the default fidelity thresholds (thresholds/default.json), against dist/
// (run `npm run build` first). Run it niced: `nice -n 10 node scripts/calibrate-thresholds.mjs`.
//
//   node scripts/calibrate-thresholds.mjs [--thresholds FILE] [--splits N] [--out FILE]
//     [--label calibrate|confirm|...] [--samples-out FILE] [--samples-in FILE] [--skip-power]
//
// --label changes the split seeds (the defaults were chosen on 'calibrate' and checked on
// 'confirm'); --samples-out keeps every split's metric values and ratios, --samples-in judges
// another thresholds file on them in a fraction of a second. 200 splits + power: ~5 min.
//
// 1. Size (a second real sample must pass): for each bundled real dataset (colon, mgus2, cgd),
//    N seeded random splits of the patients into halves X and Y; Y plays the synthetic cohort
//    and is validated against X exactly as `trajsim validate` does (5 repeats, the thresholds
//    given). A split passes when no gated metric fails. The pass probability is estimated with
//    a Wilson 95% interval; the null ratios of every metric are kept to show their quantiles.
// 2. Power (perturbations must fail): reference-process cohorts (`trajsim reference`), real
//    2 000 patients vs synthetic 2 000 of the same process (must pass) and of the perturbed
//    processes `--death-hazard-multiplier 1.5`, `--gap-multiplier 1.3`,
//    `--remove-transition RECURRENCE` (must fail), with 3 seeds each.
// Prints one JSON object (and writes it to --out when given).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { wilsonInterval } from 'trajsim';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const { values } = parseArgs({
  options: {
    thresholds: { type: 'string', default: join(root, 'thresholds', 'default.json') },
    splits: { type: 'string', default: '60' },
    out: { type: 'string' },
    'skip-power': { type: 'boolean', default: false },
    // Null samples (value and ratio of every metric of every split) to write, or to reuse
    // instead of recomputing them (then only the judging and the power runs are redone).
    'samples-out': { type: 'string' },
    'samples-in': { type: 'string' },
    // Label of the split seeds: another label gives independent splits (a confirmation set).
    label: { type: 'string', default: 'calibrate' },
  },
});
const { importTimeline } = await import(join(dist, 'timeline/import.js'));
const { readTimeline } = await import(join(dist, 'timeline/read.js'));
const { simulateReference } = await import(join(dist, 'reference/reference-process.js'));
const { assessTimelines } = await import(join(dist, 'validate/fidelity.js'));
const { parseThresholds, thresholdFor, judgeMetric } = await import(
  join(dist, 'validate/thresholds.js')
);
const { Rng } = await import(join(dist, 'core/rng.js'));

const thresholds = parseThresholds(readFileSync(values.thresholds, 'utf8'), values.thresholds);
const splits = Number(values.splits);
const tmp = mkdtempSync(join(tmpdir(), 'trajsim-calibrate-'));
const started = performance.now();

/** The timeline of the given patient rows (ascending), events remapped. */
function subsetTimeline(t, rows, name) {
  const n = rows.length;
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const p = rows[i];
    offsets[i + 1] = offsets[i] + (t.offsets[p + 1] - t.offsets[p]);
  }
  const m = offsets[n];
  const patient = new Int32Array(m);
  const day = new Int32Array(m);
  const code = new Int32Array(m);
  const value = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    const p = rows[i];
    const from = t.offsets[p];
    const len = t.offsets[p + 1] - from;
    patient.fill(i, offsets[i], offsets[i] + len);
    day.set(t.events.day.subarray(from, from + len), offsets[i]);
    code.set(t.events.code.subarray(from, from + len), offsets[i]);
    value.set(t.events.value.subarray(from, from + len), offsets[i]);
  }
  const pick = (a) => {
    const out = new a.constructor(n);
    for (let i = 0; i < n; i++) out[i] = a[rows[i]];
    return out;
  };
  return {
    name,
    patients: {
      ids: Array.from(rows, (p) => t.patients.ids[p]),
      indexDay: pick(t.patients.indexDay),
      attributes: t.patients.attributes.map((a) =>
        a.kind === 'numeric' ? { ...a, values: pick(a.values) } : { ...a, codes: pick(a.codes) },
      ),
    },
    events: { patient, day, code, value, codes: t.events.codes },
    offsets,
  };
}

function wilson(k, n) {
  const { lower, upper } = wilsonInterval(k, n);
  return [lower, upper];
}

function quantile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/** The metric id's threshold pattern family, for pooling null ratios. */
function family(id) {
  if (id.startsWith('os_by.')) return 'os_by.*.sup';
  if (id.startsWith('time_to_first.')) return 'time_to_first.*.cif_sup';
  return id;
}

const DATASETS = [
  { name: 'colon', categorical: ['obstruct', 'perfor', 'adhere', 'node4'] },
  { name: 'mgus2', categorical: [] },
  { name: 'cgd', categorical: ['steroids', 'propylac'] },
];

// Phase 1: null samples, one entry per split: dataset and [id, value, ratio] of every metric.
let samples;
if (values['samples-in']) {
  samples = JSON.parse(readFileSync(values['samples-in'], 'utf8'));
} else {
  samples = [];
  for (const d of DATASETS) {
    const dir = join(tmp, d.name);
    await importTimeline({
      patients: join(root, 'data', d.name, 'patients.csv'),
      events: join(root, 'data', d.name, 'events.csv'),
      categorical: d.categorical,
      name: d.name,
      out: dir,
    });
    const t = await readTimeline(dir);
    const n = t.patients.ids.length;
    const rng = new Rng(values.label).fork(d.name);
    for (let k = 0; k < splits; k++) {
      const idx = new Int32Array(n);
      for (let i = 0; i < n; i++) idx[i] = i;
      rng.fork(k).shuffle(idx);
      const x = idx.slice(0, Math.floor(n / 2)).sort();
      const y = idx.slice(Math.floor(n / 2)).sort();
      const report = assessTimelines(
        subsetTimeline(t, x, `${d.name}-X`),
        [subsetTimeline(t, y, `${d.name}-Y`)],
        { thresholds, seed: `calibrate-${k}` },
      );
      samples.push({
        dataset: d.name,
        patients: n,
        metrics: report.metrics.map((m) => [
          m.id,
          Number.isFinite(m.value) ? m.value : null,
          Number.isFinite(m.ratio) ? m.ratio : Number.isNaN(m.ratio) ? null : 'Infinity',
        ]),
      });
    }
  }
  if (values['samples-out']) writeFileSync(values['samples-out'], JSON.stringify(samples));
}

// Phase 2: judge every null split with the thresholds given.
const size = [];
const nullRatios = new Map(); // family -> ratios
const failuresByMetric = new Map();
for (const name of [...new Set(samples.map((s) => s.dataset))]) {
  const rows = samples.filter((s) => s.dataset === name);
  let passed = 0;
  for (const row of rows) {
    let ok = true;
    for (const [id, v, r] of row.metrics) {
      const value = v === null ? Number.NaN : v;
      const ratio = r === null ? Number.NaN : r === 'Infinity' ? Number.POSITIVE_INFINITY : r;
      if (judgeMetric(thresholdFor(thresholds, id), value, ratio).pass === false) {
        ok = false;
        failuresByMetric.set(id, (failuresByMetric.get(id) ?? 0) + 1);
      }
      if (!Number.isFinite(ratio)) continue;
      const f = family(id);
      if (!nullRatios.has(f)) nullRatios.set(f, []);
      nullRatios.get(f).push(ratio);
    }
    if (ok) passed++;
  }
  const n = rows[0].patients;
  const half = Math.floor(n / 2);
  size.push({
    dataset: name,
    patients: n,
    halves: [half, n - half],
    splits: rows.length,
    passed,
    passProbability: passed / rows.length,
    wilson95: wilson(passed, rows.length),
  });
}
const allPassed = size.reduce((s, r) => s + r.passed, 0);
const allSplits = size.reduce((s, r) => s + r.splits, 0);
const ratioQuantiles = Object.fromEntries(
  [...nullRatios]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([f, r]) => {
      const s = [...r].sort((a, b) => a - b);
      return [
        f,
        {
          n: s.length,
          q50: quantile(s, 0.5),
          q95: quantile(s, 0.95),
          q99: quantile(s, 0.99),
          max: s.at(-1),
        },
      ];
    }),
);

const power = [];
if (!values['skip-power']) {
  const CASES = [
    { name: 'same process', options: {}, mustFail: false },
    { name: 'death hazard x 1.5', options: { deathHazardMultiplier: 1.5 }, mustFail: true },
    { name: 'time stretch x 1.3', options: { gapMultiplier: 1.3 }, mustFail: true },
    { name: 'RECURRENCE removed', options: { removeTransition: 'RECURRENCE' }, mustFail: true },
  ];
  for (const seed of [1, 2, 3]) {
    const realDir = join(tmp, `ref-real-${seed}`);
    await simulateReference(realDir, { patients: 2000, seed: `calibrate-real-${seed}` });
    const real = await readTimeline(realDir);
    for (const c of CASES) {
      const synDir = join(tmp, `ref-syn-${seed}-${power.length}`);
      await simulateReference(synDir, {
        patients: 2000,
        seed: `calibrate-syn-${seed}`,
        ...c.options,
      });
      const report = assessTimelines(real, [await readTimeline(synDir)], {
        thresholds,
        seed: String(seed),
      });
      const failed = report.metrics.filter((m) => m.pass === false);
      power.push({
        case: c.name,
        seed,
        passed: report.passed,
        asExpected: report.passed !== c.mustFail,
        failing: failed.length,
        strongest: failed
          .sort((a, b) => b.ratio - a.ratio)
          .slice(0, 3)
          .map((m) => `${m.id} ${m.ratio.toPrecision(3)}`),
      });
      rmSync(synDir, { recursive: true, force: true });
    }
  }
}
rmSync(tmp, { recursive: true, force: true });
const [lo, hi] = wilson(allPassed, allSplits);
const result = {
  thresholds: values.thresholds,
  size,
  pooled: {
    splits: allSplits,
    passed: allPassed,
    passProbability: allPassed / allSplits,
    wilson95: [lo, hi],
  },
  failuresByMetric: Object.fromEntries([...failuresByMetric].sort((a, b) => b[1] - a[1])),
  nullRatioQuantiles: ratioQuantiles,
  power,
  seconds: (performance.now() - started) / 1000,
};
const text = `${JSON.stringify(result, null, 2)}\n`;
if (values.out) writeFileSync(values.out, text);
process.stdout.write(text);
