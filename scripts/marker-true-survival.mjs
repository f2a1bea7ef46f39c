// Monte Carlo true overall survival of the reference process WITH the tumour marker, by stage
// (the analytic trueSurvival() table is for the default process only; the marker changes the
// hazards along each path, so no state-space integration is attempted). Kaplan–Meier on
// whole days of a large simulated cohort (censoring is independent, so KM is consistent);
// prints JSON with Greenwood standard errors next to the default process's exact values.
// Usage: npm run build && node scripts/marker-true-survival.mjs [patients=200000] [seed=marker-truth]

import { REFERENCE_CODES, REFERENCE_PARAMETERS } from '../dist/reference/reference-parameters.js';
import { ReferenceSimulator } from '../dist/reference/reference-process.js';
import { trueSurvival } from '../dist/reference/true-survival.js';

const patients = Number(process.argv[2] ?? 200_000);
const seed = process.argv[3] ?? 'marker-truth';
const STAGES = REFERENCE_PARAMETERS.attributes.stage.levels;
const HORIZON = 3286;
const DEATH = REFERENCE_CODES.indexOf('DEATH');
const started = performance.now();
const sim = new ReferenceSimulator(seed, {}, { marker: true });
// per stage: deaths and exits (deaths + censorings) by day
const deaths = STAGES.map(() => new Float64Array(HORIZON + 2));
const exits = STAGES.map(() => new Float64Array(HORIZON + 2));
let stage = 0;
let lastDay = 0;
let lastCode = -1;
const sink = {
  addPatient(_id, _indexDay, attrs) {
    stage = attrs[2];
  },
  addEvent(day, code) {
    lastDay = day;
    lastCode = code;
  },
};
for (let i = 0; i < patients; i++) {
  sim.simulatePatient(i, sink);
  const d = Math.min(lastDay, HORIZON + 1);
  exits[stage][d]++;
  if (lastCode === DEATH) deaths[stage][d]++;
}
const points = [365, 730, 1826, HORIZON];
const out = { patients, seed, seconds: 0, survival: {} };
STAGES.forEach((st, s) => {
  let atRisk = exits[s].reduce((a, b) => a + b, 0);
  let surv = 1;
  let greenwood = 0;
  let median = null;
  const at = {};
  for (let d = 0; d <= HORIZON; d++) {
    const dd = deaths[s][d];
    if (atRisk > 0 && dd > 0) {
      surv *= 1 - dd / atRisk;
      greenwood += dd / (atRisk * (atRisk - dd));
    }
    if (median === null && surv <= 0.5) median = d;
    if (points.includes(d)) {
      at[d] = {
        marker: +surv.toFixed(4),
        se: +(surv * Math.sqrt(greenwood)).toFixed(4),
        default: +trueSurvival(st, d).toFixed(4),
      };
    }
    atRisk -= exits[s][d];
  }
  out.survival[st] = { ...at, medianDays: median };
});
out.seconds = +((performance.now() - started) / 1000).toFixed(1);
console.log(JSON.stringify(out, null, 1));
