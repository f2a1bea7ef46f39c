import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './helpers/cli.js';
import { useTempDir } from './helpers/tmp.js';

const dir = useTempDir('package');

// Runs in a child process against the built package (dist/, built by `npm test`), imported by
// its name through package.json "exports" (a self-reference), as a user's code would.
const SCRIPT = `
const t = await import('trajsim');
const d = process.argv[1];
const m = await t.importTimeline({ patients: 'data/colon/patients.csv', events: 'data/colon/events.csv', out: d + '/colon' });
await t.trainModel({ data: d + '/colon', out: d + '/model', kind: 'markov' });
const g = await t.runGeneration({ model: t.loadGenerationModel(d + '/model'), modelDir: d + '/model',
  scenario: t.scenarioOfOptions({ out: d + '/synthetic', patients: 300, seed: '7' }), out: d + '/synthetic' });
await t.exportTimeline(d + '/synthetic', d + '/pq', { format: 'parquet' });
let rows = 0;
for await (const b of t.readParquetBatches(d + '/pq/events.parquet')) rows += b.numRows;
const inspected = await t.inspectTimeline(d + '/colon');
const v = await t.validateTimelineDirs(d + '/colon', [d + '/synthetic'], {
  thresholds: t.readThresholds('thresholds/default.json'), repeats: 2, seed: 7,
});
console.log(JSON.stringify({ real: m.counts, synthetic: g.manifest.counts, parquetRows: rows,
  inspected: inspected.patients, metrics: v.metrics.length, passed: typeof v.passed,
  internals: ['TimelineWriter', 'mergeSummaries'].filter((n) => n in t) }));
`;

describe("import('trajsim') by name", () => {
  it('runs import → inspect → train (markov) → generate → Parquet export → validate on colon', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT, dir], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout.trim()) as {
      real: { patients: number; events: number };
      synthetic: { patients: number; events: number };
      parquetRows: number;
      inspected: number;
      metrics: number;
      passed: string;
      internals: string[];
    };
    // data/colon/README.md: 929 patients, 3255 events
    expect(out.real).toMatchObject({ patients: 929, events: 3255 });
    expect(out.synthetic.patients).toBe(300);
    expect(out.parquetRows).toBe(out.synthetic.events);
    expect(out.inspected).toBe(929);
    expect(out.metrics).toBeGreaterThan(20);
    expect(out.passed).toBe('boolean');
    expect(out.internals).toEqual([]);
  });
});
