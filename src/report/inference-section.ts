/**
 * The "Inference" block of the fidelity report (validate --infer): for each target, the
 * real-only, naive synthetic and combined estimates with their 95% CIs.
 */

import { toJsonText } from '../core/format.js';
import type { InferenceResult } from '../stats/inference/infer-from-timelines.js';
import { formatNumber } from './render-report.js';
import { escapeXml } from './svg.js';

/**
 * Renders the inference results as an HTML section (empty string when there are none).
 *
 * @param results - one result per target (from `runInferences`).
 * @returns an HTML `<section>`.
 * @example
 * renderInferenceSection([]) // => ''
 */
export function renderInferenceSection(results: readonly InferenceResult[]): string {
  if (results.length === 0) return '';
  const blocks = results.map((r) => {
    const rows = r.rows
      .map(
        (x) =>
          `<tr><td>${x.method === 'synthetic' ? 'synthetic only (naive)' : x.method === 'real' ? 'real only' : '<b>combined</b>'}</td><td class="num">${formatNumber(x.estimate)}</td><td class="num">${formatNumber(x.se)}</td><td class="num">[${formatNumber(x.lower)}, ${formatNumber(x.upper)}]</td></tr>`,
      )
      .join('');
    const notes = r.notes.map((n) => `<div class="note">${escapeXml(n)}</div>`).join('');
    return `<h3>${escapeXml(r.target)} <small>endpoint ${escapeXml(r.query.endpoint)}</small></h3><table class="metrics"><thead><tr><th>method</th><th>estimate</th><th>se</th><th>95% CI</th></tr></thead><tbody>${rows}</tbody></table><p>synthetic weight λ = ${formatNumber(r.syntheticWeight)}; variance vs real only ${formatNumber(r.varianceRatio)}; ${formatNumber(r.counts.real)} real patients, ${formatNumber(r.counts.synthetic)} synthetic, ${formatNumber(r.counts.twins)} twins.</p>${notes}`;
  });
  return `<section><h2>Inference</h2><p class="method">Estimates from the real data alone, from the synthetic cohort alone (naive: inherits the generator's bias with a falsely narrow interval) and combined (prediction-powered: the synthetic bias is estimated from twins of the real patients; its interval keeps its coverage). See docs/inference.md.</p>${blocks.join('')}</section>`;
}

/**
 * Appends an `inference` section to a report.json text (the fidelity report itself unchanged).
 *
 * @param reportJson - the JSON text of the fidelity report.
 * @param results - one result per target.
 * @returns the JSON text with `inference` added (NaN as null); unchanged without results.
 * @example
 * withInferenceJson('{"passed":true}\n', []) // => '{"passed":true}\n'
 */
export function withInferenceJson(reportJson: string, results: readonly InferenceResult[]): string {
  if (results.length === 0) return reportJson;
  const report = JSON.parse(reportJson) as Record<string, unknown>;
  report['inference'] = results.map((r) => ({
    target: r.target,
    endpoint: r.query.endpoint,
    rows: r.rows,
    synthetic_weight: r.syntheticWeight,
    variance_ratio: r.varianceRatio,
    synthetic_disagrees: r.syntheticDisagrees,
    cohort_mismatch: r.cohortMismatch,
    counts: r.counts,
    notes: r.notes,
  }));
  return `${toJsonText(report, { indent: 2, infinity: 'string' })}\n`;
}

/**
 * Inserts the inference section at the end of a rendered report page.
 *
 * @param html - the page from `renderReportHtml`.
 * @param results - one result per target.
 * @returns the page with the section before `</main>` (unchanged when there are no results).
 * @example
 * withInferenceHtml('<main></main>', []) // => '<main></main>'
 */
export function withInferenceHtml(html: string, results: readonly InferenceResult[]): string {
  if (results.length === 0) return html;
  const at = html.lastIndexOf('</main>');
  const section = renderInferenceSection(results);
  return at < 0 ? `${html}${section}` : `${html.slice(0, at)}${section}\n${html.slice(at)}`;
}
