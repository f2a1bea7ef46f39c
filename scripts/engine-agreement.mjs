#!/usr/bin/env node
// How often two generated cohorts (same model, seed and patients; e.g. --engine onnx vs
// --engine tfjs) differ, patient by patient: every patient has its own random stream, so a
// difference starts where float rounding moved one draw (a code or a gap bin) across a
// boundary. Prints JSON.
//
//   npm run build && node scripts/engine-agreement.mjs DIR_A DIR_B
import { resolve } from 'node:path';
import { readTimeline } from 'trajsim';

const [a, b] = process.argv.slice(2).map((p) => resolve(p));
if (!a || !b) throw new Error('usage: engine-agreement.mjs DIR_A DIR_B');
const ta = await readTimeline(a);
const tb = await readTimeline(b);
const n = ta.patients.ids.length;
if (tb.patients.ids.length !== n) throw new Error('the cohorts have different patient counts');
let differing = 0;
let codeFirst = 0;
let dayFirst = 0;
let lengthOnly = 0;
let events = 0;
let sameIndexAndAttributes = 0;
for (let p = 0; p < n; p++) {
  const [sa, ea] = [ta.offsets[p], ta.offsets[p + 1]];
  const [sb, eb] = [tb.offsets[p], tb.offsets[p + 1]];
  events += ea - sa;
  if (ta.patients.indexDay[p] === tb.patients.indexDay[p]) sameIndexAndAttributes++;
  let k = 0;
  while (sa + k < ea && sb + k < eb) {
    if (ta.events.code[sa + k] !== tb.events.code[sb + k]) {
      codeFirst++;
      break;
    }
    if (ta.events.day[sa + k] !== tb.events.day[sb + k]) {
      dayFirst++;
      break;
    }
    k++;
  }
  const same = sa + k === ea && sb + k === eb;
  if (!same) differing++;
  if (!same && (sa + k === ea || sb + k === eb)) lengthOnly++;
}
console.log(
  JSON.stringify(
    {
      a,
      b,
      patients: n,
      eventsA: events,
      sameIndexDay: sameIndexAndAttributes,
      patientsWithDifferentTrajectories: differing,
      share: differing / n,
      firstDifferenceIsCode: codeFirst,
      firstDifferenceIsDay: dayFirst,
      oneIsPrefixOfOther: lengthOnly,
      codeFlipsPerEvent: codeFirst / events,
    },
    null,
    2,
  ),
);
