import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatNumber, renderReportHtml, verdictReason } from '../../src/report/render-report.js';
import { escapeXml } from '../../src/report/svg.js';
import { importTimeline } from '../../src/timeline/import.js';
import { atRiskDays } from '../../src/validate/chart-data.js';
import { defaultThresholds } from '../../src/validate/default-thresholds.js';
import type { FidelityReport } from '../../src/validate/fidelity-report.js';
import { validateTimelineDirs } from '../../src/validate/validate-dirs.js';
import { useTempDir } from '../helpers/tmp.js';

const root = useTempDir('report-contents');
const CATEGORICAL = ['obstruct', 'perfor', 'adhere', 'node4'];

/** Rows of a simple CSV (no quoted commas in the bundled colon files). */
function csv(path: string): Map<string, string>[] {
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const cols = head!.split(',');
  return lines.map((l) => new Map(l.split(',').map((v, i) => [cols[i]!, v])));
}

const patients = csv('data/colon/patients.csv');
const events = csv('data/colon/events.csv');

let report: FidelityReport;
let html: string;
const modelManifest = JSON.parse(readFileSync('models/default/manifest.json', 'utf8')) as {
  seed: string;
  training: { contentHash: string };
  metrics: { validationNll: number };
};

beforeAll(async () => {
  for (const name of ['real', 'syn']) {
    await importTimeline({
      patients: 'data/colon/patients.csv',
      events: 'data/colon/events.csv',
      categorical: CATEGORICAL,
      name: `colon-${name}`,
      out: join(root, name),
    });
  }
  writeFileSync(
    join(root, 'syn', 'generation.json'),
    JSON.stringify({
      scenario: { name: 'demo' },
      seed: 42,
      backend: 'wasm',
      shard: { index: 1, count: 1 },
      model: { dir: resolve('models/default'), fingerprint: 'abc123' },
      requestedVsAchieved: { attributes: [], criteria: { acceptanceRate: 1 } },
    }),
  );
  report = await validateTimelineDirs(join(root, 'real'), [join(root, 'syn')], {
    thresholds: defaultThresholds(),
    seed: '1',
    provenance: {
      createdAt: '2026-11-30T06:00:00.000Z',
      commandLine: ['trajsim', 'validate', '--real', 'r'],
      thresholdsFile: 'thresholds/default.json',
    },
  });
  html = renderReportHtml(report);
}, 60_000);

describe('the report draws Kaplan–Meier plots as the field does', () => {
  it('gives numbers at risk at round years that match a count of the raw colon follow-up', () => {
    // Last (terminal) day of each patient, straight from events.csv.
    const last = new Map<string, number>();
    for (const e of events) {
      const id = e.get('patient_id')!;
      last.set(id, Math.max(last.get(id) ?? 0, Number(e.get('day'))));
    }
    const days = report.charts.os.atRisk.days;
    expect(days.slice(0, 3)).toEqual([0, 365, 731]);
    const expected = days.map((d) => [...last.values()].filter((t) => t >= d).length);
    expect(report.charts.os.atRisk.real).toEqual(expected);
    expect(report.charts.os.atRisk.synthetic).toEqual(expected);
    expect(expected[0]).toBe(929);
  });

  it('puts a numbers-at-risk table, CI bands and censoring ticks on every survival plot', () => {
    const attributes = new Set(report.charts.strata.map((s) => s.attribute)).size;
    const panels = 1 + attributes + report.charts.timeToFirst.length;
    expect(html.split('Number at risk').length - 1).toBe(panels);
    expect(html.split(': censored</title>').length - 1).toBeGreaterThanOrEqual(
      2 * (1 + attributes),
    );
    for (const s of [...report.charts.strata, ...report.charts.timeToFirst]) {
      expect(s.real.lower?.length).toBe(s.real.x.length);
      expect(s.synthetic.upper?.length).toBe(s.synthetic.x.length);
    }
    // Survival is shown on 0..1 with time in days and years.
    expect(html).toContain('>1 y</text>');
    expect(html).toContain('>365</text>');
  });

  it('rounds the at-risk time points to quarter, half or whole years', () => {
    expect(atRiskDays(2920)).toEqual([0, 365, 731, 1096, 1461, 1826, 2192, 2557]);
    expect(atRiskDays(400)).toEqual([0, 91, 183, 274, 365]);
  });
});

describe('every subgroup is accounted for', () => {
  it('lists perfor = 1 with its size (from patients.csv) and why it is not plotted', () => {
    const perfor1 = patients.filter((p) => p.get('perfor') === '1').length;
    const extent = (v: string) => patients.filter((p) => p.get('extent') === v).length;
    const excluded = report.charts.excludedLevels;
    expect(excluded.find((e) => e.attribute === 'perfor' && e.level === '1')).toMatchObject({
      realPatients: perfor1,
      reason: 'below-min-share',
    });
    expect(excluded.find((e) => e.attribute === 'perfor' && e.level === '0')?.reason).toBe(
      'only-level',
    );
    expect(excluded.find((e) => e.level === 'submucosa')?.realPatients).toBe(extent('submucosa'));
    expect(html).toContain('<code>perfor = 1</code>');
    expect(html).toContain(`<td class="num">${perfor1}</td>`);
    // Plotted plus listed = every level of every categorical attribute.
    const levels = new Set<string>();
    for (const a of ['sex', 'rx', 'differ', 'extent', 'surg', ...CATEGORICAL]) {
      for (const p of patients) {
        const v = p.get(a);
        if (v !== undefined && v !== 'NA' && v !== '') levels.add(`${a}=${v}`);
      }
    }
    const shown = report.charts.strata.map((s) => `${s.attribute}=${s.level}`);
    const listed = excluded.map((e) => `${e.attribute}=${e.level}`);
    expect(new Set([...shown, ...listed])).toEqual(levels);
  });
});

describe('the Cox forest plot', () => {
  it('has one row per Cox term naming its reference level, real and synthetic side by side', () => {
    const forest = report.charts.forest;
    const cox = report.metrics.find((m) => m.id === 'cox.hr_outside_ci')!;
    const termsInMetric = Object.keys(cox.details ?? {})
      .filter((k) => k.endsWith('.ref_hr'))
      .map((k) => k.slice(0, -'.ref_hr'.length));
    expect(forest.terms.map((t) => t.term)).toEqual(termsInMetric);
    expect(forest.terms.find((t) => t.term === 'node41')).toMatchObject({
      attribute: 'node4',
      level: '1',
      reference: '0',
    });
    expect(html).toContain('Hazard ratios (95% CI)');
    expect(html).toContain('node4: 1 vs 0');
    expect(html).toContain('rx: Lev+5FU vs Lev');
    expect(html).toContain('age (per unit)');
    // Identical data on both sides: the same hazard ratios.
    for (const t of forest.terms) expect(t.synthetic.hr).toBeCloseTo(t.real.hr, 10);
  });
});

describe('provenance', () => {
  it('tables the data hashes, counts, generation and model settings, version and command', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'real', 'timeline.json'), 'utf8')) as {
      contentHash: string;
    };
    const p = report.provenance!;
    expect(p.real).toMatchObject({ contentHash: manifest.contentHash, patients: 929 });
    expect(p.synthetic?.[0]).toMatchObject({
      scenario: 'demo',
      generationSeed: '42',
      backend: 'wasm',
      shard: '1/1',
      modelFingerprint: 'abc123',
      modelTrainingDataHash: modelManifest.training.contentHash,
      modelSeed: modelManifest.seed,
      modelValidationNll: modelManifest.metrics.validationNll,
    });
    expect(html).toContain('<h2>Provenance</h2>');
    expect(html).toContain(`<code>${manifest.contentHash}</code>`);
    expect(html).toContain('<code>trajsim validate --real r</code>');
    expect(html).toContain('2026-11-30T06:00:00.000Z');
    expect(html).toContain(`validation NLL ${formatNumber(modelManifest.metrics.validationNll)}`);
    // A table of named fields, not a dump of generation.json's keys.
    expect(html).not.toContain('<code>model.fingerprint</code>');
  });
});

describe('readable numbers and honest thresholds', () => {
  it('formats with thousands separators, writes "not reached" and labels SE and p', () => {
    expect(formatNumber(2171.4)).toBe('2,171');
    // colon's real median OS has no upper 95% limit (the upper curve never reaches 0.5).
    expect(Number.isNaN(report.charts.os.realMedian.upper)).toBe(true);
    expect(html).toMatch(/95% CI [\d,]+–not reached\)/);
    expect(html).not.toContain('–—');
    expect(html).toMatch(/d \(SE [\d.]+\)/);
    expect(html).toMatch(/log-rank<\/td><td colspan="2">χ² [\d.]+, df 1, p [\d.]+/);
  });

  it('shows on each row the rule that decided it, including an infinite ratio that passes', () => {
    expect(
      verdictReason({
        pass: true,
        value: 0,
        ratio: Number.POSITIVE_INFINITY,
        threshold: { maxRatio: 3, tolerance: 0.1 },
      }),
    ).toBe('ratio ∞ (the noise floor is 0) > 3 but value 0 ≤ tolerance 0.1: passes');
    for (const m of report.metrics) {
      if (m.threshold.why) expect(html).toContain(escapeXml(m.threshold.why));
    }
    expect(html).toContain('class="reason"');
  });
});
