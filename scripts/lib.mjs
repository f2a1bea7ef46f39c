// Shared by the scripts: option parsing and JSON output. Scripts load trajsim through its
// public API (`import { ... } from 'trajsim'`, the package's own name; run `npm run build`
// first), never through deep dist/ paths.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { runGeneration, scenarioOfOptions, selectPatients, writeTimeline } from 'trajsim';

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

/** Columns of the bundled datasets (data/NAME) that hold 0/1 or codes: imported as categorical. */
export const BUNDLED_CATEGORICAL = {
  colon: ['obstruct', 'perfor', 'adhere', 'node4'],
  mgus2: [],
  cgd: ['steroids', 'propylac'],
  nafld: [
    'nafld_case',
    'prior_afib',
    'prior_ang_isc',
    'prior_cardiac_arrest',
    'prior_diabetes',
    'prior_heart_failure',
    'prior_htn',
    'prior_dyslipidemia',
    'prior_mi',
    'prior_nafld',
    'prior_stroke',
  ],
};

/**
 * `trajsim import` of the bundled data/NAME into `out` (replacing it), its categorical columns
 * as {@link BUNDLED_CATEGORICAL} lists them and the timeline named NAME.
 *
 * @example
 * importBundled('colon', '/tmp/colon'); // the timeline models/default was trained on
 */
export function importBundled(name, out) {
  const root = new URL('..', import.meta.url);
  const cat = BUNDLED_CATEGORICAL[name];
  if (!cat) throw new Error(`no bundled dataset '${name}' (${Object.keys(BUNDLED_CATEGORICAL)})`);
  trajsim([
    'import',
    ...['--patients', new URL(`data/${name}/patients.csv`, root).pathname],
    ...['--events', new URL(`data/${name}/events.csv`, root).pathname],
    ...(cat.length > 0 ? ['--categorical', cat.join(',')] : []),
    ...['--name', name, '--out', out, '--overwrite'],
  ]);
  return out;
}

/** One progress line on stderr (stdout carries the JSON). */
export const log = (m) => process.stderr.write(`${m}\n`);

const cli = new URL('../dist/cli/main.js', import.meta.url).pathname;

/**
 * Runs the built CLI (`dist/cli/main.js … --quiet`) as a child process and logs its time; throws
 * on a non-zero exit, except validate's 1 (a failed gate is a result here).
 *
 * @example
 * trajsim(['reference', '--patients', '1000', '--seed', '7', '--out', '/tmp/ref']);
 */
export function trajsim(argv) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, ...argv, '--quiet'], { encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0 && !(argv[0] === 'validate' && r.status === 1)) {
    throw new Error(`trajsim ${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  }
  log(`  trajsim ${argv[0]} (${seconds.toFixed(1)} s)`);
  return { ...r, seconds };
}

/** Writes the given patient rows of a timeline to a new timeline directory (replacing it). */
export async function writeSubset(t, rows, dir, name) {
  await writeTimeline(selectPatients(t, rows, name), dir, {
    source: `subset of ${t.name}`,
    overwrite: true,
  });
}

/** 0..n-1 in a seeded Fisher–Yates order (rng: a trajsim Rng). */
export function shuffled(n, rng) {
  const rows = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  return rows;
}

/**
 * colon: patients (nodes and node4 present) breaking node4 = nodes > 4.
 *
 * @example
 * node4Inconsistency(await readTimeline('out/colon-timeline')).rate // => ≈ 0.013
 */
export function node4Inconsistency(t) {
  const nodes = t.patients.attributes.find((a) => a.name === 'nodes');
  const node4 = t.patients.attributes.find((a) => a.name === 'node4');
  if (!nodes || !node4) return undefined;
  const one = node4.levels.indexOf('1');
  let bad = 0;
  let n = 0;
  for (let p = 0; p < t.patients.ids.length; p++) {
    const v = nodes.values[p];
    const c = node4.codes[p];
    if (Number.isNaN(v) || c < 0) continue;
    n++;
    if (v > 4 !== (c === one)) bad++;
  }
  return { inconsistent: bad, of: n, rate: bad / n };
}
