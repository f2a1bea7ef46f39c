import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  readTwinsEvaluation,
  renderTwinsEvaluationSection,
  withTwinsEvaluationHtml,
} from '../../src/report/twins-evaluation-section.js';
import type { LandmarkEvaluation } from '../../src/validate/landmark-evaluation.js';
import { useTempDir } from '../helpers/tmp.js';

const groups = (shift: number) =>
  [0.1, 0.3, 0.5].map((p) => ({ n: 10, events: 3, predicted: p, observed: p + shift }));

const evaluation: LandmarkEvaluation = {
  landmarkDay: 365,
  horizons: [365, 1826],
  patients: { heldOut: 100, atRisk: 90, scored: 90, deaths: 30 },
  missing: { twins: 0, 'cox landmark': 0 },
  cox: { trainAtRisk: 300, columns: ['age'], dropped: [] },
  predictors: ['twins', 'cox landmark'].map((name, j) => ({
    name,
    integratedBrier: 0.11 + j / 100,
    horizons: [365, 1826].map((days) => ({
      days,
      harrell: 0.71 + j / 100,
      uno: 0.7 + j / 100,
      brier: 0.1,
      calibration: { groups: groups(j / 20), slope: 1, intercept: j / 20 },
      truthSlope: 0.95,
    })),
  })),
  truth: 'true risk',
};

describe('the twins evaluation report section', () => {
  it('shows every predictor and horizon in the table, the C-index bars and one calibration chart per horizon', () => {
    const html = renderTwinsEvaluationSection(evaluation);
    expect(html.startsWith('<section><h2>Digital twins: calibration and discrimination</h2>')).toBe(
      true,
    );
    expect(html).toContain('<td>twins</td>');
    expect(html).toContain('<td>cox landmark</td>');
    expect(html).toContain('<td class="num">0.710</td>'); // Harrell C of the twins
    expect(html).toContain('Uno C, 1826 days');
    expect(html.match(/<svg /g)?.length).toBe(3); // bars + 2 calibration charts
    expect(html).toContain('Calibration of the 1826-day death risk (deciles)');
    expect(html).toContain('slope vs truth');
  });

  it('goes before </main> of a report page, and nowhere without an evaluation', () => {
    const page = '<html><main><h1>r</h1></main></html>';
    expect(withTwinsEvaluationHtml(page, undefined)).toBe(page);
    const out = withTwinsEvaluationHtml(page, evaluation);
    expect(out.indexOf('Digital twins')).toBeLessThan(out.indexOf('</main>'));
    expect(out.startsWith('<html><main><h1>r</h1><section>')).toBe(true);
  });

  const dir = useTempDir('twins-eval-json');
  it('reads the evaluation JSON back (NaN written as null) and names a bad file', () => {
    const good = join(dir, 'ev.json');
    writeFileSync(good, JSON.stringify({ ...evaluation, landmarkDay: Number.NaN }));
    expect(readTwinsEvaluation(good).predictors.length).toBe(2);
    expect(renderTwinsEvaluationSection(readTwinsEvaluation(good))).toContain('Landmark day');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"horizons": []}');
    expect(() => readTwinsEvaluation(bad)).toThrow(`${bad}: predictors: expected the JSON`);
  });
});
