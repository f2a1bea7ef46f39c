// Issue 10 "Done when": value fidelity of the GRU (value head) vs the Markov baseline (per-code
// value model) against real held-out patients, from the paths given, as one JSON document.
//
//   npm run build
//   node scripts/value-evidence.mjs --train TL_TRAIN --holdout TL_HOLDOUT --gru GRU_MODEL \
//     --out WORK [--markov MARKOV_MODEL] [--patients N] [--seed 1] [--engine onnx] \
//     [--log-codes LAB:CEA] [--truth LAB:CEA=1.5] [--adjusted] > value-evidence.json
//
// 1. Markov: trains `trajsim train --kind markov` on --train into WORK/markov (unless --markov).
// 2. Generates --patients (default: the held-out size) from each model (GRU with --engine),
//    into WORK/gru-syn and WORK/markov-syn.
// 3. `trajsim validate --real HOLDOUT --synthetic ...` for each (WORK/val-gru, WORK/val-markov):
//    every `values.*` metric with its value, noise floor, ratio to it and pass.
// 4. Value → death per valued code, on the held-out data and both synthetic cohorts: the
//    counting-process Cox of DEATH on the most recent value as a time-dependent covariate,
//    intervals built as tmerge builds them (the validator's rule, docs/validation.md), per unit
//    of the value (per unit of ln value for --log-codes), HR with its 95 % Wald CI. The
//    per-unit HR of the validator's own fit is beside it (`validatorHrPerUnit`, raw units) as a
//    cross-check of the intervals. --truth CODE=HR adds the known truth; --adjusted (reference
//    process only) also fits the correctly specified model of docs/reference-process.md
//    (baseline attributes, first line active, prior disease events k, ln value).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coxPh, readTimeline, readTimelineManifest } from 'trajsim';
import { options, printJson, round } from './lib.mjs';

const o = options({
  train: '',
  holdout: '',
  gru: '',
  markov: '',
  out: '',
  patients: 0,
  seed: '1',
  engine: 'onnx',
  'log-codes': '',
  truth: '',
  adjusted: false,
});
for (const k of ['train', 'holdout', 'gru', 'out']) {
  if (!o[k]) throw new Error(`--${k} is required`);
}
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const logCodes = new Set(o['log-codes'].split(',').filter(Boolean));
const truth = Object.fromEntries(
  o.truth
    .split(',')
    .filter(Boolean)
    .map((kv) => {
      const [code, hr] = kv.split('=');
      return [code, Number(hr)];
    }),
);
mkdirSync(o.out, { recursive: true });
const timings = {};

/** Runs the trajsim CLI; validate's exit 1 (a failed gate) is a result, not an error. */
function trajsim(step, args, okCodes = [0]) {
  const t0 = Date.now();
  try {
    execFileSync(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    if (!okCodes.includes(error.status)) {
      throw new Error(`trajsim ${args[0]} failed (${error.status}): ${error.stderr}`);
    }
  }
  timings[step] = round((Date.now() - t0) / 1000, 1);
}

const patients = o.patients || readTimelineManifest(o.holdout).counts.patients;
const markovDir = o.markov || join(o.out, 'markov');
if (!o.markov) {
  trajsim('train_markov_s', [
    'train',
    '--kind',
    'markov',
    '--data',
    o.train,
    '--out',
    markovDir,
    '--seed',
    o.seed,
    '--overwrite',
  ]);
}
const models = { gru: o.gru, markov: markovDir };
for (const [name, dir] of Object.entries(models)) {
  const engine = name === 'gru' ? ['--engine', o.engine] : [];
  trajsim(`generate_${name}_s`, [
    'generate',
    '--model',
    dir,
    '--patients',
    String(patients),
    '--seed',
    o.seed,
    ...engine,
    '--out',
    join(o.out, `${name}-syn`),
    '--overwrite',
  ]);
  trajsim(
    `validate_${name}_s`,
    [
      'validate',
      '--real',
      o.holdout,
      '--synthetic',
      join(o.out, `${name}-syn`),
      '--out',
      join(o.out, `val-${name}`),
      '--seed',
      o.seed,
      '--overwrite',
    ],
    [0, 1],
  );
}

const reports = Object.fromEntries(
  Object.keys(models).map((name) => [
    name,
    JSON.parse(readFileSync(join(o.out, `val-${name}`, 'report.json'), 'utf8')),
  ]),
);

/** Every values.* metric: per model its value, noise floor (mean), ratio and pass. */
function valueMetricTable() {
  const table = {};
  for (const [name, report] of Object.entries(reports)) {
    for (const m of report.metrics) {
      if (!m.id.startsWith('values.')) continue;
      table[m.id] ??= { unit: m.unit };
      table[m.id][name] = {
        value: round(m.value, 4),
        noiseFloor: round(m.noiseFloor?.mean, 4),
        ratio: round(m.ratio, 2),
        pass: m.pass,
        ...(m.note ? { note: m.note } : {}),
      };
    }
  }
  return table;
}

/**
 * Counting-process rows of one code: (d_j, d_{j+1}] per measurement day before the terminal
 * day T (the last value of a day wins; missing values skipped), the last row ending at T with
 * the death status (the validator's ValueSummaryBuilder rule).
 */
function intervals(t, code, log) {
  const c = t.events.codes.indexOf(code);
  const death = t.events.codes.indexOf('DEATH');
  const start = [];
  const stop = [];
  const event = [];
  const x = [];
  for (let p = 0; p < t.patients.ids.length; p++) {
    const a = t.offsets[p];
    const b = t.offsets[p + 1];
    const endDay = t.events.day[b - 1];
    const died = t.events.code[b - 1] === death ? 1 : 0;
    let day = -1;
    let v = Number.NaN;
    for (let e = a; e < b - 1; e++) {
      const y = t.events.value[e];
      if (t.events.code[e] !== c || Number.isNaN(y)) continue;
      const d = Math.max(0, t.events.day[e]);
      if (d >= endDay) continue;
      if (day >= 0 && d > day) {
        start.push(day);
        stop.push(d);
        event.push(0);
        x.push(v);
      }
      day = d;
      v = log ? Math.log(y) : y;
    }
    if (day >= 0) {
      start.push(day);
      stop.push(endDay);
      event.push(died);
      x.push(v);
    }
  }
  return { start, stop, event, x };
}

function hrOf(fit, j = 0) {
  const term = fit.terms[j];
  return {
    hr: round(term.hr, 4),
    lower: round(term.lower, 4),
    upper: round(term.upper, 4),
    se: round(term.se, 4),
    deaths: fit.events,
    rows: fit.n,
    converged: fit.converged,
  };
}

function univariate(t, code) {
  const rows = intervals(t, code, logCodes.has(code));
  if (rows.stop.length === 0) return { note: 'no interval with a value' };
  try {
    const fit = coxPh(
      rows.stop,
      rows.event,
      { names: ['value'], columns: [Float64Array.from(rows.x)] },
      { entry: rows.start },
    );
    return hrOf(fit);
  } catch (error) {
    return { note: String(error.message ?? error) };
  }
}

const FIRST_LINES = [
  'TREATMENT:SURGERY',
  'TREATMENT:CHEMO',
  'TREATMENT:TARGETED',
  'TREATMENT:IMMUNO',
];

/**
 * The correctly specified model of the reference process (docs/reference-process.md, as
 * test/reference/marker.test.ts builds it): age/10, sex, stage, ECOG, biomarker, first line
 * active, prior disease events k = 1..4 (≥ 4 pooled) and ln(most recent value); a change
 * recorded on day c takes effect at c − 0.5. Returns the ln-value term.
 */
function adjusted(t, code) {
  const attr = (name) => t.patients.attributes.find((a) => a.name === name);
  const age = attr('age').values;
  const is = (name, level) => {
    const a = attr(name);
    const k = a.levels.indexOf(level);
    return (p) => (a.codes[p] === k ? 1 : 0);
  };
  const dummies = [
    is('sex', 'male'),
    is('stage', 'II'),
    is('stage', 'III'),
    is('stage', 'IV'),
    is('ecog', '1'),
    is('ecog', '2'),
    is('biomarker', 'pos'),
  ];
  const names = [
    'age10',
    'male',
    'stageII',
    'stageIII',
    'stageIV',
    'ecog1',
    'ecog2',
    'biomarkerPos',
    ...FIRST_LINES.map((l) => `active:${l}`),
    'k1',
    'k2',
    'k3',
    'k4',
    'lnValue',
  ];
  const cols = names.map(() => []);
  const start = [];
  const stop = [];
  const event = [];
  const codes = t.events.codes;
  for (let p = 0; p < t.patients.ids.length; p++) {
    let t0 = -1;
    let k = 0;
    let active;
    let firstSeen = false;
    let lnM = Number.NaN;
    const base = [age[p] / 10, ...dummies.map((f) => f(p))];
    const close = (t1, died) => {
      if (t1 <= t0) return;
      if (!Number.isNaN(lnM)) {
        const row = [...base, ...FIRST_LINES.map((l) => (active === l ? 1 : 0))];
        const kk = Math.min(k, 4);
        row.push(kk === 1 ? 1 : 0, kk === 2 ? 1 : 0, kk === 3 ? 1 : 0, kk === 4 ? 1 : 0, lnM);
        for (let j = 0; j < row.length; j++) cols[j].push(row[j]);
        start.push(t0);
        stop.push(t1);
        event.push(died);
      }
      t0 = t1;
    };
    for (let e = t.offsets[p]; e < t.offsets[p + 1]; e++) {
      const c = codes[t.events.code[e]];
      const day = t.events.day[e];
      if (c === code) {
        if (Number.isNaN(t.events.value[e])) continue;
        close(day - 0.5, 0);
        lnM = Math.log(t.events.value[e]);
      } else if (!firstSeen && FIRST_LINES.includes(c)) {
        firstSeen = true;
        close(day - 0.5, 0);
        active = c;
      } else if (c === 'PROGRESSION' || c === 'RECURRENCE') {
        close(day - 0.5, 0);
        k++;
        active = undefined;
      } else if (c === 'DEATH' || c === 'END_OF_FOLLOWUP') {
        close(day, c === 'DEATH' ? 1 : 0);
      }
    }
  }
  // drop constant columns (e.g. k4 never reached in a small cohort): not estimable
  const keep = names.map((_, j) => new Set(cols[j]).size > 1);
  const design = {
    names: names.filter((_, j) => keep[j]),
    columns: cols.filter((_, j) => keep[j]).map((c) => Float64Array.from(c)),
  };
  try {
    // coxPh wants entry >= 0: shift the clock by one day (risk sets keep their order)
    const shifted = (a) => a.map((d) => d + 1);
    const fit = coxPh(shifted(stop), event, design, { entry: shifted(start), maxIter: 50 });
    return {
      ...hrOf(fit, design.names.indexOf('lnValue')),
      dropped: names.filter((_, j) => !keep[j]),
    };
  } catch (error) {
    return { note: String(error.message ?? error) };
  }
}

const timelines = {
  real: await readTimeline(o.holdout),
  gru: await readTimeline(join(o.out, 'gru-syn')),
  markov: await readTimeline(join(o.out, 'markov-syn')),
};
const valued = [
  ...new Set(
    reports.gru.metrics.filter((m) => m.id.startsWith('values.')).map((m) => m.id.split('.')[1]),
  ),
];
const hazardRatios = {};
for (const code of valued) {
  const scale = logCodes.has(code) ? 'per unit of ln value' : 'per unit of value';
  const entry = { scale, ...(code in truth ? { truth: truth[code] } : {}) };
  const cox = reports.gru.metrics.find((m) => m.id === `values.${code}.cox.abs_diff`);
  const coxM = reports.markov.metrics.find((m) => m.id === `values.${code}.cox.abs_diff`);
  for (const [name, t] of Object.entries(timelines)) {
    entry[name] = univariate(t, code);
    const d = name === 'markov' ? coxM?.details : cox?.details;
    const hr = name === 'real' ? d?.ref_hr_per_unit : d?.other_hr_per_unit;
    if (hr !== undefined) entry[name].validatorHrPerUnit = round(hr, 4);
    if (o.adjusted) entry[name].adjusted = adjusted(t, code);
  }
  hazardRatios[code] = entry;
}

const gate = (r) => ({
  passed: r.passed,
  gated: r.metrics.filter((m) => m.pass !== undefined && m.pass !== null).length,
  failed: r.metrics
    .filter((m) => m.pass === false)
    .map((m) => `${m.id} (ratio ${round(m.ratio, 2)})`),
});
printJson({
  command: `node scripts/value-evidence.mjs ${process.argv.slice(2).join(' ')}`,
  train: o.train,
  holdout: o.holdout,
  models,
  patients,
  seed: o.seed,
  engine: o.engine,
  timingsSeconds: timings,
  gate: { gru: gate(reports.gru), markov: gate(reports.markov) },
  valueMetrics: valueMetricTable(),
  hazardRatios,
});
