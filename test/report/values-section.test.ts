import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { renderReportHtml } from '../../src/report/render-report.js';
import type { Timeline } from '../../src/timeline/types.js';
import { defaultThresholds } from '../../src/validate/default-thresholds.js';
import { assessTimelines } from '../../src/validate/fidelity.js';
import { fidelityReportJson } from '../../src/validate/fidelity-report.js';

/**
 * A known-truth cohort: each patient has a marker measured every 90 days around a personal
 * level (`shift` added to every value), dies with probability 0.4 at a random day, else is
 * censored; a 0/1 flag measured once.
 */
function cohort(n: number, seed: string, shift: number): Timeline {
  const rng = new Rng(seed);
  const codes = ['DIAGNOSIS', 'LAB:marker', 'LAB:flag', 'DEATH', 'END_OF_FOLLOWUP'];
  const patient: number[] = [];
  const day: number[] = [];
  const code: number[] = [];
  const value: number[] = [];
  const offsets = [0];
  for (let p = 0; p < n; p++) {
    const push = (d: number, c: number, v: number) => {
      patient.push(p);
      day.push(d);
      code.push(c);
      value.push(v);
    };
    const end = 200 + rng.int(1500);
    const level = 40 + 10 * rng.normal();
    push(0, 0, Number.NaN);
    push(0, 2, rng.int(2));
    for (let d = 30; d < end; d += 90) push(d, 1, level + 3 * rng.normal() + shift);
    push(end, rng.uniform() < 0.4 ? 3 : 4, Number.NaN);
    offsets.push(patient.length);
  }
  return {
    name: seed,
    patients: {
      ids: Array.from({ length: n }, (_, i) => `${seed}-${i}`),
      indexDay: new Int32Array(n),
      attributes: [],
    },
    events: {
      patient: Int32Array.from(patient),
      day: Int32Array.from(day),
      code: Int32Array.from(code),
      value: Float64Array.from(value),
      codes,
    },
    offsets: Int32Array.from(offsets),
  };
}

describe("the report's Values section", () => {
  const report = assessTimelines(cohort(400, 'real', 0), [cohort(400, 'synthetic', 10)], {
    thresholds: defaultThresholds(),
  });
  const html = renderReportHtml(report);
  const section = html.slice(
    html.indexOf('<section><h2>Values'),
    html.indexOf('</section>', html.indexOf('<section><h2>Values')),
  );

  it('has, per valued code, a trajectory chart and its metric table with ratios and verdicts', () => {
    expect(section).toContain('<h3><code>LAB:marker</code></h3>');
    expect(section).toContain('<h3><code>LAB:flag</code></h3>');
    expect(section).toContain('LAB:marker: median and quartiles by months before death');
    expect(section).toContain('LAB:flag: share of 1s (95% CI) by months before death');
    expect(section.match(/<svg /g)?.length).toBe(2);
    // The marker shifted by 10 (about 1 SD) fails on its distribution.
    expect(section).toMatch(/<tr class="failed"><td><code>ks<\/code>/);
    expect(report.metrics.find((m) => m.id === 'values.LAB:marker.ks')?.pass).toBe(false);
    expect(report.metrics.find((m) => m.id === 'values.LAB:flag.ks')?.pass).toBe(true);
  });

  it('report.json carries the trajectories: median above the quartile 1, synthetic about 10 higher', () => {
    const json = JSON.parse(fidelityReportJson(report));
    const marker = json.charts.values.find((v: { code: string }) => v.code === 'LAB:marker');
    expect(marker.anchor).toBe('death');
    expect(marker.monthsBefore.slice(0, 3)).toEqual([0, 6, 12]);
    const diff = marker.synthetic.median[0] - marker.real.median[0];
    expect(diff).toBeGreaterThan(5);
    expect(diff).toBeLessThan(15);
    expect(marker.real.q1[0]).toBeLessThan(marker.real.median[0]);
  });

  it('is absent when the real data has no values', () => {
    const plain = { ...report, charts: { ...report.charts, values: [] } };
    expect(renderReportHtml(plain)).not.toContain('<h2>Values');
  });
});

describe('the Values chart axis', () => {
  it('ends at the last bin with data (follow-up ≤ 1,700 days ≈ 56 months), not at 114 months', () => {
    const report = assessTimelines(cohort(400, 'real', 0), [cohort(400, 'synthetic', 0)], {
      thresholds: defaultThresholds(),
    });
    const html = renderReportHtml(report);
    const start = html.indexOf('<section><h2>Values');
    const svg = html.slice(html.indexOf('<svg ', start), html.indexOf('</svg>', start));
    // x tick labels are the centred numbers (y ticks are right-aligned)
    const ticks = [...svg.matchAll(/<text [^>]*text-anchor="middle"[^>]*>(\d+)<\/text>/g)].map(
      (m) => Number(m[1]),
    );
    expect(Math.max(...ticks)).toBeLessThan(70);
    expect(Math.max(...ticks)).toBeGreaterThanOrEqual(40);
  });
});
