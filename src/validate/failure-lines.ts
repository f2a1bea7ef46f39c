import { formatNumber } from '../core/format.js';
import type { FidelityReport } from './fidelity-report.js';
import type { PrivacyReport } from './privacy/privacy-report.js';

const fmt = (v: number): string => formatNumber(v);

/**
 * One line per failed fidelity metric: value, ratio, matched vs noise floor, threshold.
 *
 * @param report - a fidelity report
 * @returns the lines, empty when every gated metric passes
 * @example
 * failureLines(report) // => ['FAIL km-distance: value 0.09 days, ratio 3.1 (...); threshold maxRatio 2']
 */
export function failureLines(report: FidelityReport): string[] {
  return report.metrics
    .filter((m) => m.pass === false)
    .map((m) => {
      const t = m.threshold;
      const bounds = [
        t.maxRatio !== undefined
          ? `maxRatio ${t.maxRatio}${t.tolerance !== undefined ? ` (tolerance ${t.tolerance})` : ''}`
          : '',
        t.maxValue !== undefined ? `maxValue ${t.maxValue}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      return `FAIL ${m.id}: value ${fmt(m.value)} ${m.unit}, ratio ${fmt(m.ratio)} (matched ${fmt(m.matched.mean)} vs noise floor ${fmt(m.noiseFloor.mean)}, SD ${fmt(m.noiseFloor.sd)}); threshold ${bounds}`;
    });
}

/**
 * One line per privacy metric that failed its gate: value, 95% interval, no-memorisation value, threshold.
 *
 * @param report - a privacy report
 * @returns the lines, empty when the gate passes
 * @example
 * privacyFailureLines(report) // => ['FAIL exact-copy-rate: 0.0400 (95% CI 0.0300–0.0500; no memorisation: 0); threshold max 0.01']
 */
export function privacyFailureLines(report: PrivacyReport): string[] {
  return report.metrics
    .filter((m) => m.pass === false)
    .map(
      (m) =>
        `FAIL ${m.id}: ${m.value.toPrecision(3)} (95% CI ${m.lower.toPrecision(3)}–${m.upper.toPrecision(3)}; no memorisation: ${m.nullValue}); threshold ${m.threshold.max !== undefined ? `max ${m.threshold.max}` : `min ${m.threshold.min}`}`,
    );
}
