/**
 * Power and sanity of the fidelity validator on the known-truth reference process: identical
 * data gives zero distances, an independent sample of the same process passes the default
 * thresholds, and each deliberate perturbation fails on the metrics it should move.
 * A validator that cannot detect a known difference is broken.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SimulateReferenceOptions,
  simulateReference,
} from '../../src/reference/reference-process.js';
import { readTimeline } from '../../src/timeline/read.js';
import type { Timeline } from '../../src/timeline/types.js';
import { defaultThresholds } from '../../src/validate/default-thresholds.js';
import { assessTimelines, compareSummaries } from '../../src/validate/fidelity.js';
import type { FidelityReport } from '../../src/validate/fidelity-report.js';
import { metricContext } from '../../src/validate/metric-context.js';
import { summarizeTimeline } from '../../src/validate/summarize-timeline.js';

const PATIENTS = 5000;
const { FIDELITY_VERBOSE: VERBOSE } = process.env;
const root = mkdtempSync(join(tmpdir(), 'trajsim-fidelity-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function reference(
  name: string,
  options: Omit<SimulateReferenceOptions, 'patients'> & { patients?: number },
): Promise<Timeline> {
  const dir = join(root, name);
  await simulateReference(dir, { patients: PATIENTS, ...options });
  return readTimeline(dir);
}

const failed = (r: FidelityReport): string[] =>
  r.metrics.filter((m) => m.pass === false).map((m) => m.id);

/** One line per failing metric (kept for the record when FIDELITY_VERBOSE is set). */
function describeFailures(name: string, r: FidelityReport): string {
  return `${name}: ${r.metrics
    .filter((m) => m.pass === false)
    .map((m) => `${m.id} value=${m.value.toPrecision(3)} ratio=${m.ratio.toFixed(2)}`)
    .join('; ')}`;
}

let real: Timeline;
const reports = new Map<string, FidelityReport>();
const thresholds = defaultThresholds();

beforeAll(async () => {
  real = await reference('real', { seed: 'real-1' });
  const cases: [string, Omit<SimulateReferenceOptions, 'patients' | 'seed'>][] = [
    ['independent', {}],
    ['death×1.5', { deathHazardMultiplier: 1.5 }],
    ['gaps×1.3', { gapMultiplier: 1.3 }],
    ['no RECURRENCE', { removeTransition: 'RECURRENCE' }],
    ['shuffled stage', { shuffleStage: true }],
  ];
  for (const [name, perturbation] of cases) {
    const synthetic = await reference(name.replace(/\W/g, '_'), {
      seed: 'synthetic-2',
      ...perturbation,
    });
    const report = assessTimelines(real, [synthetic], { thresholds, seed: 'power' });
    reports.set(name, report);
    if (VERBOSE) process.stderr.write(`${describeFailures(name, report)}\n`);
  }
});

describe('fidelity validator on the reference process', () => {
  it('gives zero distance between a timeline and itself', () => {
    const s = summarizeTimeline(real);
    const values = compareSummaries(s, s, metricContext(s));
    for (const m of values) expect([m.id, m.value]).toEqual([m.id, 0]);
  });

  it('passes an independent sample of the same process (default thresholds)', () => {
    const r = reports.get('independent')!;
    expect(failed(r)).toEqual([]);
    expect(r.passed).toBe(true);
    // The ratios hover around 1: matched and noise-floor comparisons are like with like.
    const ratios = r.metrics.map((m) => m.ratio).filter((x) => Number.isFinite(x));
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    expect(mean).toBeGreaterThan(0.7);
    expect(mean).toBeLessThan(1.4);
  });

  it('fails death hazard × 1.5 on overall survival', () => {
    const r = reports.get('death×1.5')!;
    expect(r.passed).toBe(false);
    expect(failed(r)).toEqual(expect.arrayContaining(['os.km.iad', 'os.rmst.abs_diff']));
  });

  it('fails gaps × 1.3 on inter-event gaps, overall and per transition', () => {
    const r = reports.get('gaps×1.3')!;
    expect(failed(r)).toEqual(
      expect.arrayContaining(['gaps.ks', 'gaps.w1', 'gaps.transition.ks', 'gaps.transition.w1']),
    );
  });

  it('fails a removed RECURRENCE transition on prevalence, transitions and time to recurrence', () => {
    const r = reports.get('no RECURRENCE')!;
    expect(failed(r)).toEqual(
      expect.arrayContaining([
        'prevalence.patient.max_abs',
        'prevalence.event.tvd',
        'transitions.js',
        'ngrams.2.top_missing',
        'time_to_first.RECURRENCE.cif_sup',
      ]),
    );
    const prevalence = r.metrics.find((m) => m.id === 'prevalence.patient.max_abs')!;
    const { RECURRENCE: recurrenceGap = 0 } = prevalence.details ?? {};
    expect(recurrenceGap).toBeGreaterThan(0.2);
  });

  it('fails a shuffled stage on stage-stratified survival and Cox HRs, not on overall survival', () => {
    const r = reports.get('shuffled stage')!;
    const f = failed(r);
    expect(f).toEqual(
      expect.arrayContaining(['os_by.stage.I.sup', 'os_by.stage.IV.sup', 'cox.hr_outside_ci']),
    );
    expect(f).not.toContain('os.km.sup');
    expect(f.every((id) => !id.startsWith('gaps.'))).toBe(true);
  });

  it('validates shards exactly as the whole cohort (mergeable summaries)', async () => {
    const whole = await reference('whole', { seed: 'shards', patients: 2000 });
    const parts = [
      await reference('part0', { seed: 'shards', patients: 1200 }),
      await reference('part1', { seed: 'shards', patients: 800, firstPatient: 1200 }),
    ];
    const a = assessTimelines(real, [whole], { thresholds, seed: 's' });
    const b = assessTimelines(real, parts, { thresholds, seed: 's' });
    expect(JSON.stringify(b.metrics)).toBe(JSON.stringify(a.metrics));
  });
});
