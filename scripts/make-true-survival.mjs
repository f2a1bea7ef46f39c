// Regenerates src/reference/true-survival.json, the committed table behind trueSurvival().
// Usage: npm run build && node scripts/make-true-survival.mjs && npx biome format --write src/reference/true-survival.json
// Takes about 10 s: exact computation from the model (see docs/reference-process.md).
import { writeFileSync } from 'node:fs';
import {
  computeTrueSurvival,
  REFERENCE_HORIZON_DAYS,
  referenceParametersHash,
} from '../dist/reference/compute-true-survival.js';
import { REFERENCE_PARAMETERS } from '../dist/reference/reference-parameters.js';

const DECIMALS = 1e7;
const curves = computeTrueSurvival();
const survival = {};
for (const stage of REFERENCE_PARAMETERS.attributes.stage.levels) {
  survival[stage] = Array.from(curves[stage], (v) => Math.round(v * DECIMALS) / DECIMALS);
}
const table = {
  description:
    'True overall survival of the trajsim reference process by stage: survival[stage][d] = P(recorded death day > d), d = 0..horizonDays.',
  method:
    'computeTrueSurvival(): exact chain transition matrices, averaged over the covariate distribution given stage; rounded to 1e-7.',
  generatedBy: 'scripts/make-true-survival.mjs',
  parametersVersion: REFERENCE_PARAMETERS.version,
  parametersHash: referenceParametersHash(),
  horizonDays: REFERENCE_HORIZON_DAYS,
  survival,
};
const target = new URL('../src/reference/true-survival.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(table)}\n`);
console.log(`wrote ${target.pathname}`);
