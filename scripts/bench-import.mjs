// Benchmark of `trajsim import` from the same data as CSV, Arrow IPC and Parquet (run
// `npm run build` first).
//
//   node scripts/bench-import.mjs [--patients 200000] [--seed 1]
//
// Simulates the reference process, exports it as CSV and as Parquet, then times each import in
// its own child process (in-process call of the public `importTimeline`, wall and CPU seconds:
// CPU seconds are the fairer figure on a loaded machine). The baseline is the CSV import measured in
// the same run: `speedup_vs_csv` = CSV seconds / format seconds. The three imports must give the
// same timeline (same contentHash), else the script exits 1. The reference's categorical
// attributes are passed as --categorical to the CSV import (ecog's levels are digits).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { options, printJson, round } from './lib.mjs';

const args = options({
  patients: 200000,
  seed: '1',
  child: '',
  'patients-file': '',
  'events-file': '',
  out: '',
  categorical: '',
});
if (args.child === 'import') {
  // one import, in-process through the package's public API: wall and CPU seconds of the call
  const { importTimeline } = await import('trajsim');
  const categorical = args.categorical;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await importTimeline({
    patients: args['patients-file'],
    events: args['events-file'],
    out: args.out,
    ...(categorical ? { categorical: categorical.split(',') } : {}),
  });
  const cpu = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({
      seconds: (performance.now() - t0) / 1000,
      cpu_seconds: (cpu.user + cpu.system) / 1e6,
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
  process.exit(0);
}
const { patients, seed } = args;
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'trajsim-bench-import-'));

function run(...cliArgs) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, ...cliArgs], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`trajsim ${cliArgs.join(' ')} failed: ${r.stderr}`);
  return seconds;
}
const hash = (d) => JSON.parse(readFileSync(join(d, 'timeline.json'), 'utf8')).contentHash;
const mb = (f) => Math.round((statSync(f).size / 1e6) * 10) / 10;

try {
  const ref = join(dir, 'ref');
  const referenceSeconds = run(
    'reference',
    '--patients',
    String(patients),
    '--seed',
    seed,
    '--out',
    ref,
  );
  const csvDir = join(dir, 'csv');
  const pqDir = join(dir, 'pq');
  const exportCsvSeconds = run('export', ref, '--no-dates', '--out', csvDir);
  const exportParquetSeconds = run(
    'export',
    ref,
    '--no-dates',
    '--format',
    'parquet',
    '--out',
    pqDir,
  );
  const inputs = {
    csv: [join(csvDir, 'patients.csv'), join(csvDir, 'events.csv')],
    arrow: [join(ref, 'patients.arrow'), join(ref, 'events.arrow')],
    parquet: [join(pqDir, 'patients.parquet'), join(pqDir, 'events.parquet')],
  };
  const attributes = JSON.parse(readFileSync(join(ref, 'timeline.json'), 'utf8')).attributes;
  const names = attributes.filter((a) => a.kind === 'categorical').map((a) => a.name);
  const categorical = names.length > 0 ? ['--categorical', names.join(',')] : [];
  const results = {};
  for (const [format, [p, e]] of Object.entries(inputs)) {
    const out = join(dir, `import-${format}`);
    const r = spawnSync(
      process.execPath,
      [
        fileURLToPath(import.meta.url),
        '--child',
        'import',
        '--patients-file',
        p,
        '--events-file',
        e,
        '--out',
        out,
        ...(categorical.length ? ['--categorical', categorical[1]] : []),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    if (r.status !== 0) throw new Error(`import of ${format} failed`);
    const m = JSON.parse(r.stdout.trim());
    if (hash(out) !== hash(join(dir, 'import-csv')))
      throw new Error(`${format} import differs from the CSV import`);
    results[format] = {
      seconds: round(m.seconds),
      cpu_seconds: round(m.cpu_seconds),
      peak_rss_mb: m.peak_rss_mb,
      events_mb: mb(e),
    };
  }
  for (const r of Object.values(results)) {
    r.speedup_vs_csv = round(results.csv.seconds / r.seconds);
    r.cpu_speedup_vs_csv = round(results.csv.cpu_seconds / r.cpu_seconds);
  }
  const events = JSON.parse(readFileSync(join(ref, 'timeline.json'), 'utf8')).counts.events;
  printJson({
    patients,
    events,
    reference_seconds: round(referenceSeconds),
    export_csv_seconds: round(exportCsvSeconds),
    export_parquet_seconds: round(exportParquetSeconds),
    import: results,
    baseline: 'csv import of the same data, same run',
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
