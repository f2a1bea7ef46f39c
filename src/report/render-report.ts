/**
 * Renders a fidelity report as one self-contained HTML page: inline CSS and SVG, no script,
 * no external resource, readable offline and printable.
 */

import { formatNumber as formatWith } from '../core/format.js';
import type {
  ChartCurve,
  FidelityMetric,
  FidelityReport,
  Finding,
} from '../validate/fidelity-report.js';
import type { Threshold } from '../validate/thresholds.js';
import { attributeSection } from './attribute-section.js';
import { plausibilitySectionHtml } from './plausibility-section.js';
import { renderPrivacySection } from './render-privacy.js';
import { COLORS, escapeXml, groupedBars, heatmap, type LineSeries, lineChart } from './svg.js';

/**
 * Compact number formatting for tables: 3 significant digits, integers as is.
 *
 * @example
 * formatNumber(1234567) // => '1,234,567'
 * formatNumber(0.012345) // => '0.0123'
 * formatNumber(Number.NaN) // => '—'
 */
export function formatNumber(v: number | null | undefined): string {
  return formatWith(v, {
    missing: '—',
    infinity: '∞',
    integers: 'grouped',
    fixedFrom: 100,
    exponentBelow: 0.001,
  });
}

function thresholdText(t: Threshold): string {
  if (t.gate === false) return 'report only';
  const parts: string[] = [];
  if (t.maxRatio !== undefined) {
    parts.push(
      `ratio ≤ ${t.maxRatio}${t.tolerance !== undefined ? ` (or value ≤ ${t.tolerance})` : ''}`,
    );
  }
  if (t.maxValue !== undefined) parts.push(`value ≤ ${t.maxValue}`);
  return parts.length > 0 ? parts.join('; ') : 'none';
}

function badge(pass: boolean | null): string {
  if (pass === true) return '<span class="badge pass">pass</span>';
  if (pass === false) return '<span class="badge fail">FAIL</span>';
  return '<span class="badge info">info</span>';
}

function metricRow(m: FidelityMetric): string {
  const floor = `${formatNumber(m.noiseFloor.mean)}${Number.isFinite(m.noiseFloor.sd) ? ` ± ${formatNumber(m.noiseFloor.sd)}` : ''}`;
  const details =
    m.details && Object.keys(m.details).length > 0
      ? `<details><summary>details</summary><table class="inner">${Object.entries(m.details)
          .map(
            ([k, v]) => `<tr><td>${escapeXml(k)}</td><td class="num">${formatNumber(v)}</td></tr>`,
          )
          .join('')}</table></details>`
      : '';
  const note = m.note ? `<div class="note">${escapeXml(m.note)}</div>` : '';
  return `<tr class="${m.pass === false ? 'failed' : ''}"><td><div>${escapeXml(m.label)}</div><code>${escapeXml(m.id)}</code>${note}${details}</td><td class="num">${formatNumber(m.value)}<div class="unit">${escapeXml(m.unit)}</div></td><td class="num">${floor}</td><td class="num">${formatNumber(m.matched.mean)}</td><td class="num"><b>${formatNumber(m.ratio)}</b></td><td>${escapeXml(thresholdText(m.threshold))}</td><td>${badge(m.pass)}</td></tr>`;
}

function metricsTable(metrics: readonly FidelityMetric[]): string {
  const families = [...new Set(metrics.map((m) => m.family))];
  return families
    .map(
      (f) =>
        `<h3>${escapeXml(f)}</h3><table class="metrics"><colgroup><col class="m"><col><col><col><col><col style="width:14%"><col style="width:6%"></colgroup><thead><tr><th>metric</th><th>value<br><small>synthetic vs real</small></th><th>noise floor<br><small>real half vs half, mean ± sd</small></th><th>matched<br><small>synthetic vs real half</small></th><th>ratio<br><small>matched ÷ floor</small></th><th>threshold</th><th></th></tr></thead><tbody>${metrics
          .filter((m) => m.family === f)
          .map(metricRow)
          .join('')}</tbody></table>`,
    )
    .join('');
}

function findingsList(findings: readonly Finding[], severity: Finding['severity']): string {
  const list = findings.filter((f) => f.severity === severity);
  if (list.length === 0) return '';
  return `<ul class="findings ${severity}">${list
    .map((f) => `<li><code>${escapeXml(f.path)}</code> ${escapeXml(f.message)}</li>`)
    .join('')}</ul>`;
}

function series(name: string, color: string, c: ChartCurve, dashed = false): LineSeries {
  return {
    name,
    color,
    x: c.x,
    y: c.y,
    dashed,
    ...(c.lower ? { lower: c.lower } : {}),
    ...(c.upper ? { upper: c.upper } : {}),
  };
}

/**
 * Flattens nested JSON into [path, value] rows for a generic table.
 *
 * @example
 * flattenJson({ a: { b: 1, c: [2, 'x'] } })
 * // => [['a.b', '1'], ['a.c.0', '2'], ['a.c.1', '"x"']]
 */
export function flattenJson(value: unknown, prefix = ''): [string, string][] {
  if (value === null || typeof value !== 'object') {
    return [[prefix || '(value)', value === undefined ? '' : JSON.stringify(value)]];
  }
  const entries = Array.isArray(value)
    ? value.map((v, i) => [String(i), v] as const)
    : Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return [[prefix || '(value)', Array.isArray(value) ? '[]' : '{}']];
  return entries.flatMap(([k, v]) => flattenJson(v, prefix ? `${prefix}.${k}` : k));
}

function generationSection(report: FidelityReport): string {
  if (report.generation.length === 0) return '';
  return `<section><h2>Requested vs achieved</h2><p>From the synthetic cohort's <code>generation.json</code>, as written by the generator.</p>${report.generation
    .map(
      (g) =>
        `<h3><code>${escapeXml(g.source)}</code></h3><table class="kv">${flattenJson(g.content)
          .map(([k, v]) => `<tr><td><code>${escapeXml(k)}</code></td><td>${escapeXml(v)}</td></tr>`)
          .join('')}</table>`,
    )
    .join('')}</section>`;
}

function chartsSection(report: FidelityReport): string {
  const c = report.charts;
  const h = c.horizonDays;
  const marker = { x: h, label: `horizon ${h} d` };
  const os = lineChart(
    [
      series('real (95% CI)', COLORS.real, c.os.real),
      series('synthetic (95% CI)', COLORS.synthetic, c.os.synthetic, true),
    ],
    {
      title: 'Overall survival (Kaplan–Meier)',
      xLabel: 'days since index',
      yLabel: 'survival',
      marker,
      width: 560,
    },
  );
  const fmtMedian = (m: { value: number; lower: number; upper: number }) =>
    `${formatNumber(m.value)} d (95% CI ${formatNumber(m.lower)}–${formatNumber(m.upper)})`;
  const osText = `<table class="kv"><tr><th></th><th>real</th><th>synthetic</th></tr><tr><td>median</td><td>${fmtMedian(c.os.realMedian)}</td><td>${fmtMedian(c.os.syntheticMedian)}</td></tr><tr><td>RMST(${h})</td><td>${formatNumber(c.os.realRmst.value)} ± ${formatNumber(c.os.realRmst.se)} d</td><td>${formatNumber(c.os.syntheticRmst.value)} ± ${formatNumber(c.os.syntheticRmst.se)} d</td></tr></table>`;

  const attributes = [...new Set(c.strata.map((s) => s.attribute))];
  const strata = attributes
    .map((attr) => {
      const levels = c.strata.filter((s) => s.attribute === attr);
      const lines = levels.flatMap((s, i) => {
        const color = COLORS.palette[i % COLORS.palette.length]!;
        return [
          series(`${s.level} real`, color, s.real),
          series(`${s.level} synthetic`, color, s.synthetic, true),
        ];
      });
      return lineChart(lines, {
        title: `By ${attr} (solid real, dashed synthetic)`,
        xLabel: 'days since index',
        yLabel: 'survival',
        width: 400,
        height: 280,
        marker,
      });
    })
    .join('');

  const ttf = c.timeToFirst
    .map((t) =>
      lineChart(
        [
          series('real', COLORS.real, t.real),
          series('synthetic', COLORS.synthetic, t.synthetic, true),
        ],
        {
          title: t.code,
          xLabel: 'days since index',
          yLabel: 'cumulative incidence',
          width: 260,
          height: 220,
          legend: false,
        },
      ),
    )
    .join('');

  const gaps = lineChart(
    [
      series('real', COLORS.real, c.gaps.real),
      series('synthetic', COLORS.synthetic, c.gaps.synthetic, true),
    ],
    {
      title: 'Inter-event gaps (ECDF, to the real 99th percentile)',
      xLabel: 'days between consecutive events',
      yLabel: 'P(gap ≤ x)',
      width: 560,
    },
  );
  const prevalence = groupedBars(
    c.prevalence.map((p) => p.code),
    [
      { name: 'real', color: COLORS.real, values: c.prevalence.map((p) => p.real) },
      { name: 'synthetic', color: COLORS.synthetic, values: c.prevalence.map((p) => p.synthetic) },
    ],
    {
      title: 'Code prevalence (fraction of patients with ≥ 1)',
      xLabel: 'fraction of patients',
      width: 560,
    },
  );
  const diff = c.transitions.real.map((row, i) =>
    row.map((v, j) => Math.abs(v - (c.transitions.synthetic[i]?.[j] ?? 0))),
  );
  const maxDiff = Math.max(1e-9, ...diff.flat());
  const heat = [
    heatmap(c.transitions.from, c.transitions.to, c.transitions.real, {
      title: 'Transitions, real P(next | current)',
    }),
    heatmap(c.transitions.from, c.transitions.to, c.transitions.synthetic, {
      title: 'Transitions, synthetic',
      color: COLORS.synthetic,
    }),
    heatmap(c.transitions.from, c.transitions.to, diff, {
      title: `|real − synthetic| (darkest = ${formatNumber(maxDiff)})`,
      color: '#333333',
      scale: 1 / maxDiff,
    }),
  ].join('');
  return `<section><h2>Survival</h2><div class="row">${os}${osText}</div><h3>Conditioning: survival per attribute level</h3><div class="row">${strata}</div></section>
<section><h2>Time</h2><div class="row">${gaps}</div><h3>Time to first occurrence, cumulative incidence with death competing (solid real, dashed synthetic)</h3><div class="row">${ttf}</div></section>
<section><h2>Structure</h2><div class="row">${prevalence}</div><div class="row">${heat}</div></section>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d232b;margin:0;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d7dbe0;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
section{background:#fff;border:1px solid #e1e4e8;border-radius:6px;padding:4px 18px 16px;margin:16px 0}
.verdict{display:inline-block;padding:6px 14px;border-radius:4px;font-weight:700;font-size:16px;color:#fff}
.verdict.pass{background:#2b8a3e}.verdict.fail{background:#c92a2a}
.badge{display:inline-block;padding:1px 7px;border-radius:3px;font-size:11px;font-weight:700}
.badge.pass{background:#d3f9d8;color:#2b8a3e}.badge.fail{background:#c92a2a;color:#fff}.badge.info{background:#e7ebef;color:#5f6b7a}
table{border-collapse:collapse;font-size:13px}td,th{padding:4px 8px;border-bottom:1px solid #eceef1;vertical-align:top;text-align:left}
table.metrics{width:100%;table-layout:fixed}table.metrics col.m{width:38%}th{background:#f1f3f5;font-weight:600}th small{font-weight:400;color:#5f6b7a}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.unit{font-size:10px;color:#8a94a0}
tr.failed td{background:#fff0f0}code{font-size:11px;color:#5f6b7a}.note{font-size:11px;color:#a05a00}
details summary{font-size:11px;color:#1f4e9c;cursor:pointer}table.inner td{border:0;padding:1px 6px;font-size:11px}
.row{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}.findings.error li{color:#c92a2a}.findings.warning li{color:#a05a00}
.meta td{border:0;padding:2px 10px 2px 0}.method{font-size:12px;color:#4a5561}
`;

/**
 * The HTML page of a fidelity report: verdict, failed metrics, the metrics table (value, noise
 * floor, matched value, ratio, threshold, verdict), charts (overall survival with CI bands,
 * per-level survival, time-to-first cumulative incidence, gap ECDF, prevalence, transition
 * heatmaps), requested vs achieved (generation.json) and the method.
 *
 * @example
 * renderReportHtml(report).includes('<svg') // => true
 */
export function renderReportHtml(report: FidelityReport): string {
  const s = report.settings;
  const failed =
    report.metrics.filter((m) => m.pass === false).length +
    (report.privacy?.metrics.filter((m) => m.pass === false).length ?? 0);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>trajsim fidelity report — ${escapeXml(report.synthetic.names.join(', '))} vs ${escapeXml(report.real.name)}</title>
<style>${STYLE}</style></head><body><main>
<h1>Fidelity report</h1>
<p><span class="verdict ${report.passed ? 'pass' : 'fail'}">${report.passed ? 'PASS' : `FAIL — ${failed} metric${failed === 1 ? '' : 's'}`}</span></p>
<table class="meta">
<tr><td>real</td><td><b>${escapeXml(report.real.name)}</b>: ${formatNumber(report.real.patients)} patients, ${formatNumber(report.real.events)} events</td></tr>
<tr><td>synthetic</td><td><b>${escapeXml(report.synthetic.names.join(', '))}</b>: ${formatNumber(report.synthetic.patients)} patients, ${formatNumber(report.synthetic.events)} events</td></tr>
<tr><td>horizon</td><td>${s.horizonDays} days</td></tr>
<tr><td>noise floor</td><td>${s.repeats} random splits of the real patients into ${s.halfSizes[0]} + ${s.halfSizes[1]}; matched synthetic subsamples of ${s.matchedSize}; seed ${escapeXml(s.seed)}</td></tr>
</table>
${findingsList(report.findings, 'error')}
${findingsList(report.findings, 'warning')}
<section><h2>Metrics</h2>${metricsTable(report.metrics)}</section>
${plausibilitySectionHtml(report)}
${report.privacy ? renderPrivacySection(report.privacy) : ''}
${chartsSection(report)}
${attributeSection(report)}
${generationSection(report)}
<section><h2>Method</h2><p class="method">Every metric is a distance (0 = identical). <b>value</b> compares the whole synthetic cohort with the whole real data. The <b>noise floor</b> is the same metric between two random halves A and B of the real patients (mean ± sd over ${s.repeats} splits). <b>matched</b> compares half A with a random synthetic subsample of exactly |B| patients, so matched and noise floor are computed at the same sample sizes and have the same distribution when the generator reproduces the real process; <b>ratio</b> = mean matched ÷ mean noise floor (≈ 1 for a faithful generator). Counts and survival risk tables are exact integer-day tables, merged across shards. Curves are compared on days 0–${s.horizonDays}. See docs/validation.md.</p></section>
</main></body></html>
`;
}
