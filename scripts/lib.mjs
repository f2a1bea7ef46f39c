// Shared by the scripts: option parsing and JSON output. Scripts load trajsim through its
// public API (`import { ... } from 'trajsim'`, the package's own name; run `npm run build`
// first), never through deep dist/ paths.
import { parseArgs } from 'node:util';
import { runGeneration, scenarioOfOptions } from 'trajsim';

/**
 * The script's --options, with defaults: a number default gives a number, a boolean default a
 * flag, anything else a string. Unknown options are refused (parseArgs, strict).
 *
 * @example
 * const { patients, work } = options({ patients: 10000, work: '/tmp/x' }); // --patients 500
 * // => { patients: 500, work: '/tmp/x' }
 */
export function options(defaults, argv = process.argv.slice(2)) {
  const spec = Object.fromEntries(
    Object.entries(defaults).map(([name, d]) => [
      name,
      typeof d === 'boolean'
        ? { type: 'boolean', default: d }
        : { type: 'string', default: String(d) },
    ]),
  );
  const { values, positionals } = parseArgs({ args: argv, options: spec, allowPositionals: true });
  const out = { _: positionals };
  for (const [name, d] of Object.entries(defaults)) {
    const v = values[name];
    if (typeof d === 'number') {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new Error(`--${name}: '${v}' is not a number`);
      out[name] = n;
    } else out[name] = v;
  }
  return out;
}

/** Prints `value` as indented JSON on stdout (the scripts' one result document). */
export function printJson(value) {
  console.log(JSON.stringify(value, null, 2));
}

/** `x` rounded to `digits` decimals (for the JSON figures). */
export function round(x, digits = 2) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * A plain generation run (no scenario file) through the public entry point, as
 * `trajsim generate --model DIR --patients N --seed S --out OUT` does: runGeneration with
 * scenarioOfOptions. Returns runGeneration's result with the wall time and event rate.
 *
 * @example
 * const g = await generatePlain(loadGenerationModel('models/default'), 'models/default',
 *   { patients: 1000, seed: 7, out: '/tmp/syn' }); // g.manifest.counts.patients === 1000
 */
export async function generatePlain(model, modelDir, { patients, seed, out, ...rest }) {
  const scenario = scenarioOfOptions({ out, patients, seed: String(seed) });
  const t0 = performance.now();
  const result = await runGeneration({ model, modelDir, scenario, out, overwrite: true, ...rest });
  const seconds = (performance.now() - t0) / 1000;
  return { ...result, seconds, eventsPerSecond: result.manifest.counts.events / seconds };
}
