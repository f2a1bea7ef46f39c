#!/usr/bin/env node
// Calibration and discrimination of predicted death risks after a landmark (issue 19 item 3,
// docs/twins-evaluation.md): the twins' predictions, a landmark Cox baseline fitted on the
// training split, and on the reference process the true risk.
//
//   npm run build && node scripts/twins-evaluate.mjs --history DIR --landmark 365 \
//        [--held-out-fraction 0.2] [--split-seed 1] [--write-split DIR] \
//        [--predictions twins=out/twins/summary.csv ...] [--reference] \
//        [--horizons 365,730,1826] [--groups 10] [--bootstrap 200] [--out evaluation.json]
//   node scripts/twins-evaluate.mjs --train DIR --held-out DIR --landmark 365 ...
//
// --history splits one timeline (seeded shuffle, --held-out-fraction held out); --write-split
// writes the two parts as timelines (DIR/train, DIR/held-out) so a model can be trained on
// the first and twins made for the second. --predictions NAME=FILE (repeatable) reads a CSV
// with patient_id and risk_<days> columns, or the summary.csv of `trajsim twins` (DEATH@<days>d);
// the horizons default to the first file's. --reference adds the exact true risk (the
// timeline must come from `trajsim reference`, unperturbed). Prints the evaluation JSON on
// stdout (or to --out) and a markdown table on stderr. --write-predictions DIR also writes the
// Cox baseline's (and with --reference the true) risks of the held-out patients as
// DIR/cox.csv, DIR/truth.csv in the generic layout (patient_id,risk_<days>,...). --html FILE
// writes the report section (table, C-index bars, calibration curves) as a standalone page;
// `trajsim validate --twins-evaluation evaluation.json` adds it to a fidelity report.
// --bootstrap B (default 200; 0 = none): paired bootstrap of the scored patients (seed
// --split-seed) for 95% intervals of Uno's C and of each predictor's C minus the Cox baseline's.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import {
  evaluateLandmarkPredictions,
  fitLandmarkCox,
  heldOutSplit,
  predictLandmarkRisk,
  Rng,
  readLandmarkPredictions,
  readTimeline,
  renderTwinsEvaluationSection,
  selectPatients,
  trueLandmarkRisk,
  writeTimeline,
} from 'trajsim';

const { values: args } = parseArgs({
  options: {
    history: { type: 'string' },
    train: { type: 'string' },
    'held-out': { type: 'string' },
    'held-out-fraction': { type: 'string', default: '0.2' },
    'split-seed': { type: 'string', default: '1' },
    'write-split': { type: 'string' },
    landmark: { type: 'string', default: '365' },
    horizons: { type: 'string' },
    predictions: { type: 'string', multiple: true, default: [] },
    reference: { type: 'boolean', default: false },
    groups: { type: 'string', default: '10' },
    out: { type: 'string' },
    'write-predictions': { type: 'string' },
    html: { type: 'string' },
    bootstrap: { type: 'string', default: '200' },
  },
});

function fail(message) {
  process.stderr.write(`twins-evaluate: ${message}\n`);
  process.exit(2);
}

async function writeSubset(t, rows, dir, name) {
  await writeTimeline(selectPatients(t, rows, name), dir, {
    source: `subset of ${t.name}`,
    overwrite: true,
  });
}

async function loadData() {
  if (args.history !== undefined) {
    const t = await readTimeline(args.history);
    const split = heldOutSplit(
      t.patients.ids.length,
      Number(args['held-out-fraction']),
      new Rng(args['split-seed']).fork('held-out'),
    );
    if (args['write-split'] !== undefined) {
      await writeSubset(t, split.train, join(args['write-split'], 'train'), `${t.name}-train`);
      await writeSubset(
        t,
        split.heldOut,
        join(args['write-split'], 'held-out'),
        `${t.name}-held-out`,
      );
    }
    return { train: t, heldOut: t, trainRows: split.train, heldOutRows: split.heldOut };
  }
  if (args.train === undefined || args['held-out'] === undefined) {
    fail('give --history DIR, or --train DIR and --held-out DIR');
  }
  return { train: await readTimeline(args.train), heldOut: await readTimeline(args['held-out']) };
}

function predictionsCsv(timeline, rows, risk, horizons) {
  const lines = [['patient_id', ...horizons.map((h) => `risk_${h}`)].join(',')];
  rows.forEach((p, i) => {
    lines.push([timeline.patients.ids[p], ...risk.map((r) => String(r[i]))].join(','));
  });
  return `${lines.join('\n')}\n`;
}

function writePredictions(dir, d, landmarkDay, horizons) {
  mkdirSync(dir, { recursive: true });
  const all = Int32Array.from({ length: d.train.patients.ids.length }, (_, i) => i);
  const cox = fitLandmarkCox(d.train, d.trainRows ?? all, { landmarkDay });
  const heldOutRows =
    d.heldOutRows ?? Int32Array.from({ length: d.heldOut.patients.ids.length }, (_, i) => i);
  const c = predictLandmarkRisk(cox, d.heldOut, heldOutRows, horizons);
  writeFileSync(join(dir, 'cox.csv'), predictionsCsv(d.heldOut, c.cohort.rows, c.risk, horizons));
  if (args.reference) {
    const t = trueLandmarkRisk(d.heldOut, landmarkDay, horizons, { rows: heldOutRows });
    writeFileSync(
      join(dir, 'truth.csv'),
      predictionsCsv(d.heldOut, t.cohort.rows, t.risk, horizons),
    );
  }
}

function table(ev) {
  const f = (x) => (Number.isFinite(x) ? x.toFixed(3) : 'NA');
  const lines = [
    `landmark day ${ev.landmarkDay}: ${ev.patients.scored} held-out patients scored (${ev.patients.deaths} deaths)`,
    '',
    '| predictor | horizon | Harrell C | Uno C [95% CI] | Uno C − Cox [95% CI] | Brier | calibration slope (KM deciles) | slope vs truth | IBS |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const p of ev.predictors) {
    for (const h of p.horizons) {
      const ci = (x) => (x === undefined ? '' : ` [${f(x.lower)}, ${f(x.upper)}]`);
      const diff =
        h.unoMinusCox === undefined ? '' : `${f(h.unoMinusCox.estimate)}${ci(h.unoMinusCox)}`;
      lines.push(
        `| ${p.name} | ${h.days} | ${f(h.harrell)} | ${f(h.uno)}${ci(h.unoInterval)} | ${diff} | ${f(h.brier)} | ${f(h.calibration.slope)} | ${f(h.truthSlope)} | ${f(p.integratedBrier)} |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

const landmarkDay = Number(args.landmark);
async function main() {
  const predictions = [];
  for (const spec of args.predictions) {
    const eq = spec.indexOf('=');
    if (eq <= 0) fail(`--predictions ${spec}: expected NAME=FILE`);
    predictions.push(await readLandmarkPredictions(spec.slice(eq + 1), spec.slice(0, eq)));
  }
  const horizons = args.horizons
    ? args.horizons.split(',').map(Number)
    : (predictions[0]?.horizons ?? [365, 730, 1826]);
  for (const p of predictions) {
    if (p.horizons.join(',') !== horizons.join(',')) {
      fail(
        `predictions ${p.name} have horizons ${p.horizons.join(',')}; expected ${horizons.join(',')}`,
      );
    }
  }
  const data = await loadData();
  const evaluation = evaluateLandmarkPredictions({
    ...data,
    landmarkDay,
    horizons,
    predictions,
    groups: Number(args.groups),
    ...(args.reference ? { reference: {} } : {}),
    ...(Number(args.bootstrap) > 0
      ? { bootstrap: { replicates: Number(args.bootstrap), seed: args['split-seed'] } }
      : {}),
  });
  if (args['write-predictions'] !== undefined)
    writePredictions(args['write-predictions'], data, landmarkDay, horizons);
  const json = `${JSON.stringify(evaluation, null, 2)}\n`;
  if (args.out !== undefined) writeFileSync(args.out, json);
  else process.stdout.write(json);
  if (args.html !== undefined) {
    writeFileSync(
      args.html,
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>trajsim twins evaluation</title></head><body><main>${renderTwinsEvaluationSection(evaluation)}</main></body></html>\n`,
    );
  }
  process.stderr.write(table(evaluation));
}

try {
  await main();
} catch (error) {
  // One line, like the CLI: every error exits 2.
  fail(error instanceof Error ? error.message : String(error));
}
