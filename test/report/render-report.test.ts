import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateReference } from '../../src/reference/reference-process.js';
import { flattenJson, formatNumber, renderReportHtml } from '../../src/report/render-report.js';
import { escapeXml, ticks } from '../../src/report/svg.js';
import { readTimeline } from '../../src/timeline/read.js';
import { defaultThresholds } from '../../src/validate/default-thresholds.js';
import { assessTimelines } from '../../src/validate/fidelity.js';
import type { FidelityReport } from '../../src/validate/fidelity-report.js';

const root = mkdtempSync(join(tmpdir(), 'trajsim-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let report: FidelityReport;
let html: string;
beforeAll(async () => {
  await simulateReference(join(root, 'real'), { patients: 1500, seed: 'r' });
  await simulateReference(join(root, 'syn'), {
    patients: 1500,
    seed: 's',
    deathHazardMultiplier: 2,
  });
  const real = await readTimeline(join(root, 'real'));
  const syn = await readTimeline(join(root, 'syn'));
  report = assessTimelines(real, [syn], { thresholds: defaultThresholds(), seed: '1' });
  html = renderReportHtml({
    ...report,
    generation: [
      {
        source: 'syn/generation.json',
        content: { requested: { patients: 1500 }, achieved: { patients: 1500, acceptance: 0.42 } },
      },
    ],
  });
});

describe('renderReportHtml', () => {
  it('is one self-contained page: no script, no external resource', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b/i);
  });

  it('draws every chart as inline SVG', () => {
    const svgs = html.match(/<svg /g) ?? [];
    // OS, one per stratified attribute, forest plot, gap ECDF, one per frequent code,
    // prevalence, 3 heatmaps, 2 attribute-association heatmaps (real, synthetic)
    const attributes = new Set(report.charts.strata.map((s) => s.attribute)).size;
    expect(svgs.length).toBe(1 + attributes + 1 + 1 + report.charts.timeToFirst.length + 1 + 3 + 2);
    expect(html).toContain('Overall survival (Kaplan–Meier');
    expect(html).toContain('<polygon'); // the CI bands
  });

  it('lists every metric with its verdict, and the failed ones first', () => {
    for (const m of report.metrics) expect(html).toContain(`<code>${escapeXml(m.id)}</code>`);
    expect(report.passed).toBe(false);
    expect(html).toContain('FAIL —');
    const failedIds = report.metrics.filter((m) => m.pass === false).map((m) => m.id);
    expect(failedIds).toContain('os.rmst.abs_diff');
    expect(html.indexOf('os.rmst.abs_diff')).toBeLessThan(html.indexOf('<h2>Metrics</h2>'));
  });

  it('renders generation.json generically as requested vs achieved', () => {
    expect(html).toContain('Requested vs achieved');
    expect(html).toContain('<code>achieved.acceptance</code></td><td>0.42</td>');
  });

  it('escapes text from the data', () => {
    expect(escapeXml('<a href="x">&\'')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
  });
});

describe('report helpers', () => {
  it('formats numbers compactly and undefined as a dash', () => {
    expect(formatNumber(Number.NaN)).toBe('—');
    expect(formatNumber(Number.POSITIVE_INFINITY)).toBe('∞');
    expect(formatNumber(12345)).toBe('12,345');
    expect(formatNumber(0.012345)).toBe('0.0123');
  });

  it('flattens nested JSON into dotted paths', () => {
    expect(flattenJson({ a: { b: [1, 'x'] }, c: null })).toEqual([
      ['a.b.0', '1'],
      ['a.b.1', '"x"'],
      ['c', 'null'],
    ]);
  });

  it('makes nice ticks', () => {
    expect(ticks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks(0, 2470, 6)).toEqual([0, 500, 1000, 1500, 2000]);
  });
});
