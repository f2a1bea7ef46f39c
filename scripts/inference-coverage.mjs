#!/usr/bin/env node
// Proof by simulation that `trajsim infer`'s combined confidence intervals keep their coverage
// (docs/inference.md): on the known-truth reference process, for every target and for a good
// and a deliberately biased generator, the share of replicates whose 95% CI covers the truth
// and the mean CI width, for real only, naive synthetic and combined.
//
//   npm run build && nice -n 10 node scripts/inference-coverage.mjs [--replicates 500]
//        [--real-patients 200] [--twins-per-patient 5] [--synthetic 20000] [--work DIR]
//        [--generators good,biased] [--good-model models/reference] [--truth-patients 400000]
//
// - real samples: replicate r takes patients [r·n, (r+1)·n) of one reference run (seed
//   'inference-real'), so the replicates are independent samples of the process;
// - good generator: models/reference (the committed GRU, trained on seed 1: another sample);
// - biased generator: the Markov baseline trained on 20 000 reference patients simulated with
//   --death-hazard-multiplier 1.5 (seed 'inference-biased');
// - one large synthetic cohort per generator (--synthetic patients) is reused by every
//   replicate; the twins of all real patients are generated once (twin g of pool patient
//   ⌊g/k⌋), each replicate uses its patients' twins;
// - truth: exact for per-stage curves (trueSurvival), the stage mixture (exact stage
//   probabilities) for overall curves, and a Cox fit on --truth-patients reference patients
//   for the adjusted hazard ratio (a large-sample limit of a misspecified model).
// Prints one JSON document on stdout (and a markdown table on stderr).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  clusterInfluence,
  combineEstimates,
  describeQuery,
  estimateTarget,
  generateTwins,
  loadGenerationModel,
  loadModel,
  normalUpperTail,
  REFERENCE_PARAMETERS,
  readTimeline,
  selectBackend,
  selectPatients,
  simulateReference,
  trueSurvival,
} from 'trajsim';
import { generatePlain } from './lib.mjs';

const root = new URL('..', import.meta.url);
const rootDir = root.pathname;

const { values: args } = parseArgs({
  options: {
    replicates: { type: 'string', default: '500' },
    'real-patients': { type: 'string', default: '200' },
    'twins-per-patient': { type: 'string', default: '5' },
    synthetic: { type: 'string', default: '20000' },
    work: { type: 'string', default: 'out/inference-coverage' },
    generators: { type: 'string', default: 'good,biased' },
    'good-model': { type: 'string', default: 'models/reference' },
    'truth-patients': { type: 'string', default: '400000' },
  },
});
const R = Number(args.replicates);
const n = Number(args['real-patients']);
const K = Number(args['twins-per-patient']);
const N = Number(args.synthetic);
const work = args.work;
mkdirSync(work, { recursive: true });
const started = performance.now();
const log = (m) =>
  process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0)}s] ${m}\n`);
const cli = (...a) =>
  execFileSync(process.execPath, [join(rootDir, 'dist/cli/main.js'), ...a, '--quiet'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });

const QUERIES = [
  { target: { kind: 'survival', days: 730 }, endpoint: 'DEATH' },
  { target: { kind: 'rmst', days: 1826 }, endpoint: 'DEATH' },
  {
    target: { kind: 'survival', days: 730 },
    endpoint: 'DEATH',
    by: 'stage',
    levels: ['III', 'IV'],
  },
  { target: { kind: 'median' }, endpoint: 'DEATH', by: 'stage', levels: ['III', 'IV'] },
  {
    target: { kind: 'hr', attribute: 'biomarker' },
    endpoint: 'DEATH',
    adjust: ['age', 'sex', 'stage', 'ecog'],
  },
];

// --- truth -----------------------------------------------------------------------------
/** Exact P(stage): age = floor of a truncated normal, P(stage | age) ∝ w·exp(g·(age−65)/10). */
function stageProbabilities() {
  const { age, stage, referenceAgeYears } = REFERENCE_PARAMETERS.attributes;
  const cdf = (x) => 1 - normalUpperTail((x - age.meanYears) / age.sdYears);
  const total = cdf(age.maxYears + 1) - cdf(age.minYears);
  const p = [0, 0, 0, 0];
  for (let a = age.minYears; a <= age.maxYears; a++) {
    const pa = (cdf(a + 1) - cdf(a)) / total;
    const w = stage.baseWeights.map(
      (b, s) => b * Math.exp((stage.logWeightPer10Years[s] * (a - referenceAgeYears)) / 10),
    );
    const sum = w.reduce((x, y) => x + y, 0);
    for (let s = 0; s < 4; s++) p[s] += (pa * w[s]) / sum;
  }
  return p;
}
const STAGES = ['I', 'II', 'III', 'IV'];
const pStage = stageProbabilities();
const overallSurvival = (d) =>
  STAGES.reduce((acc, s, i) => acc + pStage[i] * trueSurvival(s, d), 0);
const rmstOf = (S, tau) => {
  let a = 0;
  for (let d = 0; d < tau; d++) a += S(d);
  return a;
};
const medianOf = (S) => {
  for (let d = 0; d <= 3286; d++) if (S(d) <= 0.5) return d;
  return Number.NaN;
};
const stageCurve = (s) => (d) => trueSurvival(s, d);

log(`truth sample: ${args['truth-patients']} reference patients`);
const truthDir = join(work, `truth-${args['truth-patients']}`);
if (!existsSync(truthDir)) {
  await simulateReference(truthDir, {
    patients: Number(args['truth-patients']),
    seed: 'inference-truth',
  });
}
const truthTimeline = await readTimeline(truthDir);
const truths = QUERIES.map((q) => {
  const t = q.target;
  if (t.kind === 'hr') return estimateTarget(truthTimeline, q).estimate;
  if (q.by === 'stage') {
    const [a, b] = q.levels.map(stageCurve);
    if (t.kind === 'survival') return b(t.days) - a(t.days);
    if (t.kind === 'rmst') return rmstOf(b, t.days) - rmstOf(a, t.days);
    return medianOf(b) - medianOf(a);
  }
  if (t.kind === 'survival') return overallSurvival(t.days);
  if (t.kind === 'rmst') return rmstOf(overallSurvival, t.days);
  return medianOf(overallSurvival);
});
const truthCheck = QUERIES.map((q) => estimateTarget(truthTimeline, q).estimate);
log(`truths ${JSON.stringify(truths)}; large-sample estimates ${JSON.stringify(truthCheck)}`);

// --- real pool -------------------------------------------------------------------------
const poolDir = join(work, `real-pool-${R * n}`);
if (!existsSync(poolDir)) {
  await simulateReference(poolDir, { patients: R * n, seed: 'inference-real' });
}
const pool = await readTimeline(poolDir);
log(`real pool: ${R * n} patients`);

// --- generators ------------------------------------------------------------------------
async function prepareGenerator(name) {
  let modelDir = args['good-model'];
  if (name === 'biased') {
    modelDir = join(work, 'markov-sicker');
    if (!existsSync(modelDir)) {
      const data = join(work, 'reference-sicker-20k');
      if (!existsSync(data)) {
        cli(
          'reference',
          '--patients',
          '20000',
          '--seed',
          'inference-biased',
          '--death-hazard-multiplier',
          '1.5',
          '--out',
          data,
        );
      }
      cli('train', '--kind', 'markov', '--data', data, '--out', modelDir, '--seed', '1');
    }
  }
  const loaded = loadModel(modelDir);
  if (loaded.manifest.kind === 'gru') await selectBackend('wasm');
  const model = loadGenerationModel(loaded);
  const cohortDir = join(work, `${name}-cohort-${N}`);
  if (!existsSync(cohortDir))
    await generatePlain(model, modelDir, { patients: N, seed: 'inference-cohort', out: cohortDir });
  const twinsDir = join(work, `${name}-twins-${R * n}x${K}`);
  if (!existsSync(twinsDir)) {
    await generateTwins(model, pool, { perPatient: K, seed: 'inference-twins', out: twinsDir });
  }
  model.stepModel.dispose();
  log(`${name}: ${modelDir}, cohort ${N}, twins ${R * n}×${K}`);
  return {
    name,
    modelDir,
    cohort: await readTimeline(cohortDir),
    twins: await readTimeline(twinsDir),
  };
}

const generatorNames = args.generators.split(',');
const generators = [];
for (const g of generatorNames) generators.push(await prepareGenerator(g));

// --- replicates ------------------------------------------------------------------------
const tally = () => ({ covered: 0, width: 0, count: 0, undefined: 0, se: 0, sqErr: 0, err: 0 });
const results = generators.map((g) => ({
  generator: g.name,
  cohortEstimates: QUERIES.map((q) => estimateTarget(g.cohort, q)),
  perTarget: QUERIES.map(() => ({
    real: tally(),
    synthetic: tally(),
    combined: tally(),
    weight: 0,
    varianceRatio: 0,
    disagrees: 0,
    mismatch: 0,
    gapZ: 0,
    gapCount: 0,
  })),
}));
const record = (t, row, truth) => {
  if (!Number.isFinite(row.estimate) || !Number.isFinite(row.se)) {
    t.undefined++;
    return;
  }
  t.count++;
  t.covered += row.lower <= truth && truth <= row.upper ? 1 : 0;
  t.width += row.upper - row.lower;
  t.se += row.se;
  t.sqErr += (row.estimate - truth) ** 2;
  t.err += row.estimate - truth;
};
for (let r = 0; r < R; r++) {
  const rows = Int32Array.from({ length: n }, (_, i) => r * n + i);
  const twinRows = Int32Array.from({ length: n * K }, (_, i) => r * n * K + i);
  const real = selectPatients(pool, rows);
  const reals = QUERIES.map((q) => estimateTarget(real, q));
  generators.forEach((g, gi) => {
    const twins = selectPatients(g.twins, twinRows);
    QUERIES.forEach((q, qi) => {
      const paired = clusterInfluence(estimateTarget(twins, q), K);
      const c = combineEstimates({
        real: reals[qi],
        paired,
        synthetic: results[gi].cohortEstimates[qi],
      });
      const acc = results[gi].perTarget[qi];
      record(acc.real, c.rows[0], truths[qi]);
      record(acc.synthetic, c.rows[1], truths[qi]);
      record(acc.combined, c.rows[2], truths[qi]);
      acc.weight += c.syntheticWeight;
      acc.varianceRatio += Number.isFinite(c.varianceRatio) ? c.varianceRatio : 1;
      acc.disagrees += c.syntheticDisagrees ? 1 : 0;
      acc.mismatch += c.cohortMismatch ? 1 : 0;
      if (Number.isFinite(c.twinsVsCohortZ)) {
        acc.gapZ += c.twinsVsCohortZ;
        acc.gapCount++;
      }
    });
  });
  if ((r + 1) % 50 === 0) log(`replicate ${r + 1}/${R}`);
}

const summary = (t) => ({
  coverage: t.count > 0 ? t.covered / t.count : Number.NaN,
  meanWidth: t.count > 0 ? t.width / t.count : Number.NaN,
  meanSe: t.count > 0 ? t.se / t.count : Number.NaN,
  rmse: t.count > 0 ? Math.sqrt(t.sqErr / t.count) : Number.NaN,
  bias: t.count > 0 ? t.err / t.count : Number.NaN,
  replicates: t.count,
  undefined: t.undefined,
});
const table = results.map((res) => ({
  generator: res.generator,
  targets: res.perTarget.map((acc, qi) => ({
    target: describeQuery(QUERIES[qi]),
    truth: truths[qi],
    syntheticCohortEstimate: res.cohortEstimates[qi].estimate,
    real: summary(acc.real),
    synthetic: summary(acc.synthetic),
    combined: summary(acc.combined),
    meanSyntheticWeight: acc.weight / R,
    meanVarianceRatio: acc.varianceRatio / R,
    shareDisagreeing: acc.disagrees / R,
    shareCohortMismatch: acc.mismatch / R,
    meanTwinsVsCohortZ: acc.gapZ / acc.gapCount,
  })),
}));
const out = {
  command: `node scripts/inference-coverage.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  replicates: R,
  realPatients: n,
  twinsPerPatient: K,
  syntheticPatients: N,
  stageProbabilities: pStage,
  generators: generators.map((g) => ({ name: g.name, model: g.modelDir })),
  seconds: (performance.now() - started) / 1000,
  table,
};
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);

const pct = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'NA');
const num = (x) => (Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(4));
const lines = [
  '| generator | target | truth | real: cover / width | naive synthetic: cover / width | combined: cover / width | λ | var ratio |',
  '|---|---|---|---|---|---|---|---|',
];
for (const g of table) {
  for (const t of g.targets) {
    lines.push(
      `| ${g.generator} | ${t.target} | ${num(t.truth)} | ${pct(t.real.coverage)} / ${num(t.real.meanWidth)} | ${pct(t.synthetic.coverage)} / ${num(t.synthetic.meanWidth)} | ${pct(t.combined.coverage)} / ${num(t.combined.meanWidth)} | ${t.meanSyntheticWeight.toFixed(2)} | ${t.meanVarianceRatio.toFixed(3)} |`,
    );
  }
}
process.stderr.write(`${lines.join('\n')}\n`);
