// Regenerates src/reference/true-survival.json, the committed table behind trueSurvival().
// Usage: npm run build && node scripts/make-true-survival.mjs && npx biome format --write src/reference/true-survival.json
// Takes about 10 s: exact computation from the model (see docs/reference-process.md); the
// table is the library's makeTrueSurvivalTable().
import { writeFileSync } from 'node:fs';
import { makeTrueSurvivalTable } from 'trajsim';

if (process.argv.includes('--help')) {
  console.log(
    'usage: node scripts/make-true-survival.mjs (writes src/reference/true-survival.json)',
  );
  process.exit(0);
}
const target = new URL('../src/reference/true-survival.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(makeTrueSurvivalTable())}\n`);
console.log(`wrote ${target.pathname}`);
