/**
 * The "Digital twins: calibration and discrimination" block of a report: the table, C-index
 * bars and calibration curves of a landmark evaluation (scripts/twins-evaluate.mjs,
 * docs/twins-evaluation.md).
 */

import { readFileSync } from 'node:fs';
import { TrajsimError } from '../core/errors.js';
import type { LandmarkEvaluation } from '../validate/landmark-evaluation.js';
import { formatNumber } from './report-format.js';
import { COLORS, escapeXml, lineChart } from './svg.js';
import { groupedBars } from './svg-plots.js';

/**
 * Renders a landmark evaluation as an HTML section: per predictor and horizon Harrell's and
 * Uno's C (with its bootstrap interval and difference from the Cox baseline's, when
 * bootstrapped), the Brier score, the calibration slope (KM deciles) and, on the reference process,
 * the slope against the true risk; a bar chart of Uno's C; one calibration chart per horizon
 * (mean predicted against Kaplan–Meier observed risk by decile, the diagonal dashed).
 *
 * @param evaluation - from `evaluateLandmarkPredictions` (or its JSON).
 * @returns an HTML `<section>` with inline SVG.
 * @example
 * renderTwinsEvaluationSection(evaluation).startsWith('<section') // => true
 */
export function renderTwinsEvaluationSection(evaluation: LandmarkEvaluation): string {
  const { predictors, horizons, patients } = evaluation;
  const color = (k: number): string => COLORS.palette[k % COLORS.palette.length]!;
  const interval = (b: { lower: number; upper: number } | undefined): string =>
    b === undefined ? '' : ` [${formatNumber(b.lower)}, ${formatNumber(b.upper)}]`;
  const rows = predictors
    .flatMap((p) =>
      p.horizons.map(
        (h, k) =>
          `<tr><td>${k === 0 ? escapeXml(p.name) : ''}</td><td class="num">${h.days}</td><td class="num">${formatNumber(h.harrell)}</td><td class="num">${formatNumber(h.uno)}${interval(h.unoInterval)}</td><td class="num">${h.unoMinusCox === undefined ? '—' : `${formatNumber(h.unoMinusCox.estimate)}${interval(h.unoMinusCox)}`}</td><td class="num">${formatNumber(h.brier)}</td><td class="num">${formatNumber(h.calibration.slope)}</td><td class="num">${h.truthSlope === undefined ? '—' : formatNumber(h.truthSlope)}</td><td class="num">${k === 0 ? formatNumber(p.integratedBrier) : ''}</td></tr>`,
      ),
    )
    .join('');
  const table = `<table class="metrics"><thead><tr><th>predictor</th><th>horizon (days)</th><th>Harrell C</th><th>Uno C [95% CI]</th><th>Uno C − Cox [95% CI]</th><th>Brier</th><th>calibration slope</th><th>slope vs truth</th><th>IBS</th></tr></thead><tbody>${rows}</tbody></table>`;
  const bars = groupedBars(
    horizons.map((h) => `Uno C, ${h} days`),
    predictors.map((p, k) => ({
      name: p.name,
      color: color(k),
      values: p.horizons.map((h) => (Number.isFinite(h.uno) ? h.uno : 0)),
    })),
    { title: 'Discrimination: Uno C-index by horizon', xLabel: 'C-index (0.5 = chance)' },
  );
  const curves = horizons.map((days, k) => {
    let top = 0;
    for (const p of predictors) {
      for (const g of p.horizons[k]!.calibration.groups) {
        top = Math.max(top, g.predicted, Number.isFinite(g.observed) ? g.observed : 0);
      }
    }
    top = Math.min(1, Math.max(top, 0.05));
    return lineChart(
      [
        { name: 'ideal', color: COLORS.axis, x: [0, top], y: [0, top], dashed: true },
        ...predictors.map((p, j) => ({
          name: p.name,
          color: color(j),
          x: p.horizons[k]!.calibration.groups.map((g) => g.predicted),
          y: p.horizons[k]!.calibration.groups.map((g) => g.observed),
        })),
      ],
      {
        title: `Calibration of the ${days}-day death risk (deciles)`,
        xLabel: 'mean predicted risk',
        yLabel: 'Kaplan–Meier observed risk',
        yDomain: [0, top],
        step: false,
        width: 360,
        height: 300,
      },
    );
  });
  const method = `Landmark day ${evaluation.landmarkDay}: ${formatNumber(patients.scored)} held-out patients alive and followed after it (${formatNumber(patients.deaths)} deaths) are scored on the risk of death within each horizon. C-indices count pairs whose earlier death is within the horizon (Uno's weights by the censoring distribution); the Brier score is Graf's IPCW score, IBS its integral from 0 to the last horizon; the calibration slope regresses the Kaplan–Meier observed risk of each decile of predicted risk on its mean prediction (1 = calibrated, < 1 = too extreme)${evaluation.truth === undefined ? '' : '; on the reference process "slope vs truth" regresses the true risk on each prediction, patient by patient'}. See docs/twins-evaluation.md.`;
  return `<section><h2>Digital twins: calibration and discrimination</h2><p class="method">${escapeXml(method)}</p>${table}<div class="charts">${bars}${curves.join('')}</div></section>`;
}

/**
 * Inserts the twins evaluation section at the end of a rendered report page.
 *
 * @param html - the page from `renderReportHtml`.
 * @param evaluation - the evaluation; undefined leaves the page unchanged.
 * @returns the page with the section before `</main>`.
 * @example
 * withTwinsEvaluationHtml('<main></main>', undefined) // => '<main></main>'
 */
export function withTwinsEvaluationHtml(
  html: string,
  evaluation: LandmarkEvaluation | undefined,
): string {
  if (evaluation === undefined) return html;
  const at = html.lastIndexOf('</main>');
  const section = renderTwinsEvaluationSection(evaluation);
  return at < 0 ? `${html}${section}` : `${html.slice(0, at)}${section}\n${html.slice(at)}`;
}

/**
 * Reads the JSON written by scripts/twins-evaluate.mjs (null numbers read back as NaN in the
 * tables).
 *
 * @param path - the evaluation JSON file.
 * @returns the evaluation.
 * @throws TrajsimError IO when the file cannot be read; INVALID_INPUT when it is not JSON or has
 *   no `predictors` list with `horizons`.
 * @example
 * readTwinsEvaluation('out/evaluation.json').predictors.length // => 3 (twins, cox, truth)
 */
export function readTwinsEvaluation(path: string): LandmarkEvaluation {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new TrajsimError('IO', `cannot read the twins evaluation: ${String(cause)}`, {
      file: path,
      cause,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new TrajsimError('INVALID_INPUT', `not JSON: ${String(cause)}`, { file: path, cause });
  }
  const v = value as Partial<LandmarkEvaluation> | null;
  if (
    v === null ||
    typeof v !== 'object' ||
    !Array.isArray(v.predictors) ||
    !Array.isArray(v.horizons) ||
    !v.predictors.every((p) => Array.isArray(p?.horizons))
  ) {
    throw new TrajsimError(
      'INVALID_INPUT',
      'expected the JSON of scripts/twins-evaluate.mjs (horizons, and predictors with horizons)',
      { file: path, field: 'predictors' },
    );
  }
  return v as LandmarkEvaluation;
}
