// Benchmark of the known-truth reference process (run `npm run build` first).
//
//   node scripts/bench-reference.mjs [--patients 1000000] [--seed 1]
//
// Prints JSON: the reference run (patients/s, events/s, peak RSS) and, as the baseline measured
// in the same run, the timeline writer alone writing the same number of patients and events
// with trivial content (writeTimeline, chunks of 65 536 patients built in memory beforehand;
// peak RSS includes those chunks) — so `ratio_to_writer` says how much the simulation itself
// costs on top of Arrow output. Each measurement runs in its own child process so peak RSS is
// its own.
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

/**
 * The writer baseline's content, in memory: `n` patients from `first` with trivial attributes
 * and `perPatient` events each on average (DIAGNOSIS, VISITs every 90 days, END_OF_FOLLOWUP).
 */
function trivialTimeline(first, n, perPatient) {
  const counts = Array.from({ length: n }, (_, i) =>
    Math.max(2, Math.round(perPatient + (((first + i) % 7) - 3))),
  );
  const offsets = new Int32Array(n + 1);
  counts.forEach((c, i) => {
    offsets[i + 1] = offsets[i] + c;
  });
  const total = offsets[n];
  const patient = new Int32Array(total);
  const day = new Int32Array(total);
  const code = new Int32Array(total);
  for (let i = 0; i < n; i++) {
    const at = offsets[i];
    const c = counts[i];
    patient.fill(i, at, at + c);
    for (let k = 1; k < c - 1; k++) {
      day[at + k] = k * 90;
      code[at + k] = 1;
    }
    day[at + c - 1] = c * 90;
    code[at + c - 1] = 3;
  }
  return {
    name: 'writer-baseline',
    patients: {
      ids: Array.from({ length: n }, (_, i) => `R${String(first + i + 1).padStart(7, '0')}`),
      indexDay: Int32Array.from({ length: n }, (_, i) => 17_000 + ((first + i) % 2000)),
      attributes: [
        { name: 'age', kind: 'numeric', values: new Float64Array(n).fill(60) },
        {
          name: 'stage',
          kind: 'categorical',
          levels: ['I', 'II', 'III', 'IV'],
          codes: Int32Array.from({ length: n }, (_, i) => (first + i) & 3),
        },
      ],
    },
    events: {
      patient,
      day,
      code,
      value: new Float64Array(total).fill(Number.NaN),
      codes: ['DIAGNOSIS', 'VISIT', 'DEATH', 'END_OF_FOLLOWUP'],
    },
    offsets,
  };
}

if (arg('child')) {
  const { simulateReference, writeTimeline } = await import('trajsim');
  const mode = arg('child');
  const out = arg('out');
  const patients = Number(arg('patients'));
  let t0 = performance.now();
  let events = 0;
  if (mode === 'reference') {
    const run = await simulateReference(out, { patients, seed: arg('seed', '1') });
    events = run.manifest.counts.events;
  } else {
    // The public writer (writeTimeline) on chunks of 65 536 patients built beforehand, each to
    // its own directory: Arrow output of the same patients and events with flat memory; only
    // the writing is timed.
    const perPatient = Number(arg('events-per-patient'));
    const CHUNK = 65_536;
    const chunks = [];
    for (let first = 0; first < patients; first += CHUNK) {
      chunks.push(trivialTimeline(first, Math.min(CHUNK, patients - first), perPatient));
    }
    let seconds = 0;
    for (const [i, t] of chunks.entries()) {
      t0 = performance.now();
      const m = await writeTimeline(t, join(out, `part-${i}`));
      seconds += (performance.now() - t0) / 1000;
      events += m.counts.events;
    }
    t0 = performance.now() - seconds * 1000;
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
