// `npm run bench`: every benchmark in turn, against dist/ (npm run build first). Prints one
// JSON object with each benchmark's own JSON (each reports ratios against a baseline measured
// in the same run). Pass --only NAME[,NAME] to run some of: reference, validate, generate,
// engines, import.
// These are long (minutes): they are not part of `npm test`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHES = {
  reference: ['scripts/bench-reference.mjs', '--patients', '1000000'],
  validate: ['scripts/bench-validate.mjs'],
  generate: ['scripts/bench-generate.mjs'],
  engines: ['scripts/bench-engines.mjs'],
  import: ['scripts/bench-import.mjs', '--patients', '200000'],
};
const args = process.argv.slice(2);
const only = args.includes('--only')
  ? args[args.indexOf('--only') + 1].split(',')
  : Object.keys(BENCHES);
const root = fileURLToPath(new URL('..', import.meta.url));
const results = { node: process.version, started: new Date().toISOString() };
for (const name of only) {
  const bench = BENCHES[name];
  if (!bench)
    throw new Error(`unknown benchmark ${name}; choose from ${Object.keys(BENCHES).join(', ')}`);
  process.stderr.write(`bench: ${name} ...\n`);
  const r = spawnSync(process.execPath, bench, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) {
    results[name] = { error: `exit ${r.status}` };
    continue;
  }
  const text = r.stdout.trim();
  try {
    results[name] = JSON.parse(text.slice(text.indexOf('{')));
  } catch {
    results[name] = { output: text };
  }
}
console.log(JSON.stringify(results, null, 2));
