#!/usr/bin/env node
// Overall and per-level survival of synthetic cohorts against a held-out cohort (issue 17,
// docs/attributes.md "Refit of the code head"): for each synthetic timeline folder, the default
// validation's OS KM sup-norm (and its ratio to the noise floor), the three worst os_by.<level>
// KM ratios and the largest Cox term |z|, one JSON line per cohort. The synthetic folders are
// those attribute-skip-ab.mjs leaves in its --work folder.
//
//   npm run build && node scripts/survival-vs-heldout.mjs HELD_OUT_DIR SYNTHETIC_DIR...
import { defaultThresholds, selectBackend, validateTimelineDirs } from 'trajsim';

await selectBackend('wasm');
const held = process.argv[2];
if (!held || process.argv.length < 4) {
  process.stderr.write('usage: survival-vs-heldout.mjs HELD_OUT_DIR SYNTHETIC_DIR...\n');
  process.exit(2);
}
for (const dir of process.argv.slice(3)) {
  const report = await validateTimelineDirs(held, [dir], {
    thresholds: defaultThresholds(),
    seed: '0',
  });
  const byId = (id) => report.metrics.find((m) => m.id === id);
  const strata = report.metrics
    .filter((m) => m.id.startsWith('os_by.'))
    .map((m) => [m.id.slice(6, -4), +m.ratio.toFixed(2)])
    .sort((a, b) => b[1] - a[1]);
  const km = byId('os.km.sup');
  const cox = byId('cox.term_z.max_abs');
  process.stdout.write(
    `${JSON.stringify({ dir, passed: report.passed, osKmSup: +km.value.toFixed(4), osKmRatio: +km.ratio.toFixed(2), worstStrata: strata.slice(0, 3), coxMaxZ: cox ? +cox.value.toFixed(2) : null })}\n`,
  );
}
