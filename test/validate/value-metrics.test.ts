import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { selectPatients } from '../../src/timeline/select-patients.js';
import type { Timeline } from '../../src/timeline/types.js';
import { defaultThresholds } from '../../src/validate/default-thresholds.js';
import { assessTimelines } from '../../src/validate/fidelity.js';
import type { FidelityReport } from '../../src/validate/fidelity-report.js';
import { nafldSubset } from '../helpers/nafld.js';
import { useTempDir } from '../helpers/tmp.js';

// Real-vs-real and perturbed copies on 3,000 nafld patients (1,500 + 1,500). Attributes are
// dropped so that only the event metrics run (the value metrics do not use them): the test
// stays fast.
const dir = useTempDir('nafld-value-metrics');
let x: Timeline;
let y: Timeline;
let hdlSd: number;

const CODE = 'LAB:hdl';

function withoutAttributes(t: Timeline): Timeline {
  return { ...t, patients: { ...t.patients, attributes: [] } };
}

/** A copy of `t` with the values of CODE replaced by `f(values)` (in event order). */
function perturb(t: Timeline, f: (v: Float64Array) => Float64Array): Timeline {
  const c = t.events.codes.indexOf(CODE);
  const rows: number[] = [];
  for (let i = 0; i < t.events.code.length; i++) if (t.events.code[i] === c) rows.push(i);
  const changed = f(Float64Array.from(rows, (i) => t.events.value[i]!));
  const value = Float64Array.from(t.events.value);
  rows.forEach((i, j) => {
    value[i] = changed[j]!;
  });
  return { ...t, name: `${t.name}-perturbed`, events: { ...t.events, value } };
}

const assess = (syn: Timeline): FidelityReport =>
  assessTimelines(x, [syn], { thresholds: defaultThresholds(), seed: 'values' });

const valueFailures = (r: FidelityReport) =>
  r.metrics.filter((m) => m.family === 'values' && m.pass === false).map((m) => m.id);

beforeAll(async () => {
  const all = withoutAttributes(await nafldSubset(dir, 6000));
  const idx = Int32Array.from({ length: 6000 }, (_, i) => i);
  new Rng('value-metrics').shuffle(idx);
  x = selectPatients(all, idx.slice(0, 1500).sort(), 'real');
  y = selectPatients(all, idx.slice(1500, 3000).sort(), 'other real');
  // The SD of LAB:hdl in the whole nafld export (R: sd(events$value[events$code == "LAB:hdl"])).
  hdlSd = 16.644128993762642;
});

describe('value metrics on nafld (1,500 vs 1,500 patients)', () => {
  it('a second real sample passes every value metric, each within its noise-floor rule', () => {
    const r = assess(y);
    const ids = r.metrics.filter((m) => m.family === 'values').map((m) => m.id);
    for (const part of [
      'ks',
      'w1',
      'missing.abs_diff',
      'autocorr.abs_diff',
      'slope.ks',
      'cox.abs_diff',
    ])
      expect(ids).toContain(`values.${CODE}.${part}`);
    expect(valueFailures(r)).toEqual([]);
    const hdlKs = r.metrics.find((m) => m.id === `values.${CODE}.ks`)!;
    expect(hdlKs.ratio).toBeLessThan(2);
  });

  it('LAB:hdl shifted by +1 SD fails on its distribution (KS and W1), not on the rest', () => {
    const failed = valueFailures(assess(perturb(y, (v) => v.map((z) => z + hdlSd))));
    expect(failed).toContain(`values.${CODE}.ks`);
    expect(failed).toContain(`values.${CODE}.w1`);
    // A shift keeps within-patient correlation, slopes and the hazard ratio per unit.
    expect(failed).not.toContain(`values.${CODE}.autocorr.abs_diff`);
    expect(failed).not.toContain(`values.${CODE}.slope.ks`);
    expect(failed).not.toContain(`values.${CODE}.cox.abs_diff`);
  });

  it('LAB:hdl shuffled across patients keeps its distribution but fails autocorrelation and slopes', () => {
    const r = assess(
      perturb(y, (v) => {
        const w = Float64Array.from(v);
        new Rng('shuffle').shuffle(w);
        return w;
      }),
    );
    const failed = valueFailures(r);
    expect(failed).toContain(`values.${CODE}.autocorr.abs_diff`);
    expect(failed).toContain(`values.${CODE}.slope.ks`);
    expect(failed).not.toContain(`values.${CODE}.ks`);
    const auto = r.metrics.find((m) => m.id === `values.${CODE}.autocorr.abs_diff`)!;
    // Real hdl is strongly autocorrelated within patients; shuffled values are not.
    expect(auto.details!['ref']).toBeGreaterThan(0.5);
    expect(Math.abs(auto.details!['other']!)).toBeLessThan(0.1);
  });

  it('synthetic events without values fail the missing-value and distribution metrics', () => {
    const failed = valueFailures(assess(perturb(y, (v) => v.map(() => Number.NaN))));
    expect(failed).toContain(`values.${CODE}.missing.abs_diff`);
    expect(failed).toContain(`values.${CODE}.ks`);
  });
});
