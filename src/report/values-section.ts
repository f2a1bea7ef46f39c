// The "Values" section of the fidelity report (issue 10): per valued code, its value metrics
// against their noise floors and the value trajectory before death (or end of follow-up).
import type { ValueBands, ValueTrajectory } from '../validate/chart-values.js';
import type { FidelityMetric, FidelityReport } from '../validate/fidelity-report.js';
import { formatNumber } from './report-format.js';
import { COLORS, escapeXml, type LineSeries, lineChart } from './svg.js';

function badge(pass: boolean | null): string {
  if (pass === true) return '<span class="badge pass">pass</span>';
  if (pass === false) return '<span class="badge fail">FAIL</span>';
  return '<span class="badge info">info</span>';
}

/** The short name of a value metric: `values.LAB:hdl.slope.ks` → `slope.ks`. */
function shortId(m: FidelityMetric, code: string): string {
  return m.id.slice(`values.${code}.`.length);
}

function metricTable(metrics: readonly FidelityMetric[], code: string): string {
  const rows = metrics
    .map((m) => {
      const note = m.note ? `<div class="note">${escapeXml(m.note)}</div>` : '';
      return `<tr class="${m.pass === false ? 'failed' : ''}"><td><code>${escapeXml(shortId(m, code))}</code><div class="unit">${escapeXml(m.label.slice(code.length + 1))}</div>${note}</td><td class="num">${formatNumber(m.value)}<div class="unit">${escapeXml(m.unit)}</div></td><td class="num">${formatNumber(m.noiseFloor.mean)}</td><td class="num"><b>${formatNumber(m.ratio)}</b></td><td>${badge(m.pass)}</td></tr>`;
    })
    .join('');
  return `<table class="values"><thead><tr><th>metric</th><th>value</th><th>noise floor</th><th>ratio</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** Median line with its quartile band, for one side. */
function bandSeries(
  name: string,
  color: string,
  x: readonly number[],
  b: ValueBands,
  dashed: boolean,
): LineSeries {
  return { name, color, x, y: b.median, lower: b.q1, upper: b.q3, dashed };
}

/** y range over the quartiles of both sides, padded by 5%; [0, 1] when there is none or for shares. */
function yDomain(t: ValueTrajectory): [number, number] {
  if (t.kind === 'share') return [0, 1];
  const all = [...t.real.q1, ...t.real.q3, ...t.synthetic.q1, ...t.synthetic.q3].filter(
    Number.isFinite,
  );
  if (all.length === 0) return [0, 1];
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const pad = hi > lo ? (hi - lo) * 0.05 : Math.max(1, Math.abs(lo) * 0.05);
  return [lo - pad, hi + pad];
}

/** The bands cut after the last bin where either side has a value (the x axis ends there). */
function trimmed(t: ValueTrajectory): ValueTrajectory {
  let end = 0;
  for (let i = 0; i < t.monthsBefore.length; i++)
    if (Number.isFinite(t.real.median[i]) || Number.isFinite(t.synthetic.median[i])) end = i + 1;
  end = Math.max(end, 2);
  const cut = (b: ValueBands): ValueBands => ({
    median: b.median.slice(0, end),
    q1: b.q1.slice(0, end),
    q3: b.q3.slice(0, end),
    n: b.n.slice(0, end),
  });
  return {
    ...t,
    monthsBefore: t.monthsBefore.slice(0, end),
    real: cut(t.real),
    synthetic: cut(t.synthetic),
  };
}

function trajectoryChart(full: ValueTrajectory): string {
  const t = trimmed(full);
  const x = t.monthsBefore;
  const nReal = full.real.n.reduce((s, v) => s + v, 0);
  const nSyn = full.synthetic.n.reduce((s, v) => s + v, 0);
  return lineChart(
    [
      bandSeries(`real (${formatNumber(nReal)})`, COLORS.real, x, t.real, false),
      bandSeries(`synthetic (${formatNumber(nSyn)})`, COLORS.synthetic, x, t.synthetic, true),
    ],
    {
      title:
        t.kind === 'share'
          ? `${t.code}: share of 1s (95% CI) by months before ${t.anchor}`
          : `${t.code}: median and quartiles by months before ${t.anchor}`,
      xLabel: `months before ${t.anchor} (0 = ${t.anchor}; bins of ${x[1] ?? 6} months)`,
      yLabel: t.kind === 'share' ? `${t.code} = 1 (share)` : `${t.code} value`,
      yDomain: yDomain(t),
      step: false,
      width: 460,
      height: 260,
    },
  );
}

/**
 * The "Values" section of the HTML report: for each code whose values the report compares,
 * its value metrics (value, noise floor, ratio, verdict) and its value trajectory — median and
 * quartile band of the value by months before death (or before the end of follow-up), real
 * solid, synthetic dashed — as inline SVG. Empty when the report compares no values.
 *
 * @param report - a fidelity report.
 * @returns the section's HTML, or '' when there are no value metrics or trajectories.
 * @example
 * valuesSection(report).startsWith('<section><h2>Values') // => true when nafld-like values are compared
 */
export function valuesSection(report: FidelityReport): string {
  const trajectories = report.charts.values ?? [];
  // The trajectories and the value metrics cover the same codes (the context's valued codes).
  const codes = trajectories.map((t) => t.code);
  if (codes.length === 0) return '';
  const blocks = codes.map((code) => {
    const metrics = report.metrics.filter((m) => m.id.startsWith(`values.${code}.`));
    const t = trajectories.find((x) => x.code === code);
    return `<h3><code>${escapeXml(code)}</code></h3><div class="row">${t ? trajectoryChart(t) : ''}${metricTable(metrics, code)}</div>`;
  });
  return `<section><h2>Values</h2><p class="method">Event values per code that carries them in the real data. Metrics: distribution (KS; W₁ of the value standardised with the real mean and SD), share of events without a value, lag-1 autocorrelation of consecutive values within patients, change per year between consecutive values (KS of the slopes), and value → death (log hazard ratio per real SD of the most recent value, a time-dependent covariate in a counting-process Cox model). Ratio = matched distance ÷ real-vs-real noise floor, as in the metrics table. Plots: median (line) and quartiles (band) per 6-month bin — for a 0/1 code the share of 1s and its Wilson 95% interval —, real solid, synthetic dashed, bins with fewer than 10 values left out.</p>${blocks.join('')}</section>`;
}
