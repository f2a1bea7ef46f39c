// Monte Carlo true overall survival of the reference process WITH the tumour marker, by stage
// (the analytic trueSurvival() table is for the default process only; the marker changes the
// hazards along each path, so no state-space integration is attempted). Kaplan–Meier on
// whole days of a large simulated cohort (censoring is independent, so KM is consistent);
// prints JSON with Greenwood standard errors next to the default process's exact values.
// Usage: npm run build && node scripts/marker-true-survival.mjs [patients=200000] [seed=marker-truth]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REFERENCE_PARAMETERS, readTimeline, simulateReference, trueSurvival } from 'trajsim';

const patients = Number(process.argv[2] ?? 200_000);
const seed = process.argv[3] ?? 'marker-truth';
const STAGES = REFERENCE_PARAMETERS.attributes.stage.levels;
const HORIZON = 3286;
const started = performance.now();
// The same patients as the simulator streams (simulateReference, same seed, marker on),
// written to a temporary timeline and read back.
const dir = mkdtempSync(join(tmpdir(), 'trajsim-marker-truth-'));
let t;
try {
  await simulateReference(join(dir, 'ref'), { patients, seed, marker: true });
  t = await readTimeline(join(dir, 'ref'));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const DEATH = t.events.codes.indexOf('DEATH');
const stageAttr = t.patients.attributes.find((a) => a.name === 'stage');
// per stage (in REFERENCE_PARAMETERS order): deaths and exits (deaths + censorings) by day
const deaths = STAGES.map(() => new Float64Array(HORIZON + 2));
const exits = STAGES.map(() => new Float64Array(HORIZON + 2));
for (let i = 0; i < t.patients.ids.length; i++) {
  const stage = STAGES.indexOf(stageAttr.levels[stageAttr.codes[i]]);
  const last = t.offsets[i + 1] - 1;
  const d = Math.min(t.events.day[last], HORIZON + 1);
  exits[stage][d]++;
  if (t.events.code[last] === DEATH) deaths[stage][d]++;
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
