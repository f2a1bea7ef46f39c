// Benchmark of the known-truth reference process (run `npm run build` first).
//
//   node scripts/bench-reference.mjs [--patients 1000000] [--seed 1]
//
// Prints JSON: the reference run (patients/s, events/s, peak RSS) and, as the baseline measured
// in the same run, the timeline writer alone writing the same number of patients and events
// with trivial content — so `ratio_to_writer` says how much the simulation itself costs on top
// of Arrow output. Each measurement runs in its own child process so peak RSS is its own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};

if (arg('child')) {
  const mode = arg('child');
  const out = arg('out');
  const patients = Number(arg('patients'));
  const t0 = performance.now();
  let events = 0;
  if (mode === 'reference') {
    const { simulateReference } = await import('../dist/reference/reference-process.js');
    const run = await simulateReference(out, { patients, seed: arg('seed', '1') });
    events = run.manifest.counts.events;
  } else {
    const { TimelineWriter } = await import('../dist/timeline/writer.js');
    const perPatient = Number(arg('events-per-patient'));
    const w = await TimelineWriter.create(out, {
      name: 'writer-baseline',
      source: 'bench',
      attributes: [
        { name: 'age', kind: 'numeric' },
        { name: 'stage', kind: 'categorical', levels: ['I', 'II', 'III', 'IV'] },
      ],
      codes: ['DIAGNOSIS', 'VISIT', 'DEATH', 'END_OF_FOLLOWUP'],
    });
    const attrs = new Float64Array(2);
    for (let p = 0; p < patients; p++) {
      attrs[0] = 60;
      attrs[1] = p & 3;
      w.addPatient(`R${String(p + 1).padStart(7, '0')}`, 17_000 + (p % 2000), attrs);
      const n = Math.max(2, Math.round(perPatient + ((p % 7) - 3)));
      w.addEvent(0, 0, Number.NaN);
      for (let k = 1; k < n - 1; k++) w.addEvent(k * 90, 1, Number.NaN);
      w.addEvent(n * 90, 3, Number.NaN);
      events += n;
      if ((p & 4095) === 4095) await w.commit();
    }
    await w.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    JSON.stringify({
      mode,
      patients,
      events,
      seconds,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    }),
  );
  process.exit(0);
}

const patients = Number(arg('patients', '1000000'));
const dir = mkdtempSync(join(tmpdir(), 'trajsim-bench-ref-'));
const self = fileURLToPath(import.meta.url);
const child = (mode, extra = []) => {
  const r = spawnSync(
    process.execPath,
    [self, '--child', mode, '--out', join(dir, mode), '--patients', String(patients), ...extra],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
};
try {
  const ref = child('reference', ['--seed', arg('seed', '1')]);
  const base = child('writer', ['--events-per-patient', String(ref.events / ref.patients)]);
  const rate = (r) => ({
    patients_per_s: Math.round(r.patients / r.seconds),
    events_per_s: Math.round(r.events / r.seconds),
  });
  console.log(
    JSON.stringify(
      {
        benchmark: 'reference-process',
        node: process.version,
        patients,
        reference: {
          ...rate(ref),
          seconds: +ref.seconds.toFixed(2),
          events: ref.events,
          peak_rss_mib: Math.round(ref.maxRssMiB),
        },
        baseline_writer_only: {
          ...rate(base),
          seconds: +base.seconds.toFixed(2),
          events: base.events,
          peak_rss_mib: Math.round(base.maxRssMiB),
        },
        ratio_to_writer: +(base.seconds / ref.seconds).toFixed(3),
      },
      null,
      2,
    ),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
