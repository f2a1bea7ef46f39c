/**
 * Renders a fidelity report as one self-contained HTML page: inline CSS and SVG, no script,
 * no external resource, readable offline and printable.
 */

import type {
  FidelityMetric,
  FidelityReport,
  Finding,
  ReportProvenance,
} from '../validate/fidelity-report.js';
import type { Threshold } from '../validate/thresholds.js';
import { attributeSection } from './attribute-section.js';
import { plausibilitySectionHtml } from './plausibility-section.js';
import { renderPrivacySection } from './render-privacy.js';
import { chartsSection } from './report-charts.js';
import { formatNumber } from './report-format.js';
import { escapeXml } from './svg.js';
import { valuesSection } from './values-section.js';

export { formatNumber } from './report-format.js';

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

/**
 * Why a metric row has its verdict, in words: which bound decided it, and the rule that lets
 * an infinite or large ratio pass (a value within the tolerance, a report-only metric).
 *
 * @example
 * verdictReason({ pass: true, value: 0, ratio: Infinity, threshold: { maxRatio: 3, tolerance: 0.1 } })
 * // => 'ratio ∞ (the noise floor is 0) but value 0 ≤ tolerance 0.1: passes'
 */
export function verdictReason(
  m: Pick<FidelityMetric, 'pass' | 'value' | 'ratio' | 'threshold'>,
): string {
  const t = m.threshold;
  const ratio =
    m.ratio === Number.POSITIVE_INFINITY
      ? 'ratio ∞ (the noise floor is 0)'
      : `ratio ${formatNumber(m.ratio)}`;
  if (t.gate === false) return 'not gated';
  if (Number.isNaN(m.value)) return 'undefined value: not judged';
  const reasons: string[] = [];
  if (t.maxValue !== undefined) {
    reasons.push(
      m.value > t.maxValue
        ? `value ${formatNumber(m.value)} > ${t.maxValue}`
        : `value ${formatNumber(m.value)} ≤ ${t.maxValue}`,
    );
  }
  if (t.maxRatio !== undefined) {
    if (!(m.ratio > t.maxRatio)) reasons.push(`${ratio} ≤ ${t.maxRatio}`);
    else if (t.tolerance !== undefined && m.value <= t.tolerance) {
      reasons.push(
        `${ratio} > ${t.maxRatio} but value ${formatNumber(m.value)} ≤ tolerance ${t.tolerance}`,
      );
    } else reasons.push(`${ratio} > ${t.maxRatio}`);
  }
  return `${reasons.join('; ')}: ${m.pass === false ? 'fails' : 'passes'}`;
}

function badge(pass: boolean | null): string {
  if (pass === true) return '<span class="badge pass">pass</span>';
  if (pass === false) return '<span class="badge fail">FAIL</span>';
  return '<span class="badge info">info</span>';
}

function metricRow(m: FidelityMetric): string {
  const floor = `${formatNumber(m.noiseFloor.mean)}${Number.isFinite(m.noiseFloor.sd) ? `<div class="unit">SD ${formatNumber(m.noiseFloor.sd)}</div>` : ''}`;
  const details =
    m.details && Object.keys(m.details).length > 0
      ? `<details><summary>details</summary><table class="inner">${Object.entries(m.details)
          .map(
            ([k, v]) => `<tr><td>${escapeXml(k)}</td><td class="num">${formatNumber(v)}</td></tr>`,
          )
          .join('')}</table></details>`
      : '';
  const note = m.note ? `<div class="note">${escapeXml(m.note)}</div>` : '';
  const why = m.threshold.why ? `<div class="why">${escapeXml(m.threshold.why)}</div>` : '';
  return `<tr class="${m.pass === false ? 'failed' : ''}"><td><div>${escapeXml(m.label)}</div><code>${escapeXml(m.id)}</code>${note}${details}</td><td class="num">${formatNumber(m.value)}<div class="unit">${escapeXml(m.unit)}</div></td><td class="num">${floor}</td><td class="num">${formatNumber(m.matched.mean)}</td><td class="num"><b>${formatNumber(m.ratio)}</b></td><td class="rule">${escapeXml(thresholdText(m.threshold))}<div class="reason">${escapeXml(verdictReason(m))}</div>${why}</td><td>${badge(m.pass)}</td></tr>`;
}

function metricsTable(metrics: readonly FidelityMetric[]): string {
  const families = [...new Set(metrics.map((m) => m.family))];
  return families
    .map(
      (f) =>
        `<h3>${escapeXml(f)}</h3><table class="metrics"><colgroup><col class="m"><col class="n"><col class="n"><col class="n"><col class="n"><col class="t"><col class="b"></colgroup><thead><tr><th>metric</th><th>value<br><small>synthetic vs real</small></th><th>noise floor<br><small>real half vs half: mean, SD over splits</small></th><th>matched<br><small>synthetic vs real half</small></th><th>ratio<br><small>matched ÷ floor</small></th><th>threshold</th><th></th></tr></thead><tbody>${metrics
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

function provenanceSection(p: ReportProvenance | undefined, report: FidelityReport): string {
  const rows: [string, string][] = [];
  const code = (v: string) => `<code>${escapeXml(v)}</code>`;
  if (p?.real) {
    rows.push(
      ['real data', code(p.real.path)],
      ['real content hash', code(p.real.contentHash)],
      [
        'real counts',
        `${formatNumber(p.real.patients)} patients, ${formatNumber(p.real.events)} events, ${formatNumber(p.real.deaths)} deaths, ${formatNumber(p.real.censored)} censored`,
      ],
    );
  } else {
    rows.push([
      'real data',
      `${escapeXml(report.real.name)}: ${formatNumber(report.real.patients)} patients (in memory)`,
    ]);
  }
  for (const [i, syn] of (p?.synthetic ?? []).entries()) {
    const k = (p?.synthetic?.length ?? 0) > 1 ? ` (shard ${i + 1})` : '';
    rows.push(
      [`synthetic data${k}`, code(syn.path)],
      [`synthetic content hash${k}`, code(syn.contentHash)],
      [
        `synthetic counts${k}`,
        `${formatNumber(syn.patients)} patients, ${formatNumber(syn.events)} events`,
      ],
    );
    const gen: string[] = [];
    if (syn.scenario !== undefined) gen.push(`scenario ${code(syn.scenario)}`);
    if (syn.generationSeed !== undefined) gen.push(`seed ${code(syn.generationSeed)}`);
    if (syn.shard !== undefined) gen.push(`shard ${escapeXml(syn.shard)}`);
    if (syn.engine !== undefined) gen.push(`engine ${escapeXml(syn.engine)}`);
    if (syn.backend !== undefined) gen.push(`backend ${escapeXml(syn.backend)}`);
    rows.push([
      `generation${k}`,
      gen.length > 0 ? gen.join(', ') : 'no generation.json: not generated by trajsim generate',
    ]);
    if (syn.modelFingerprint !== undefined || syn.modelDir !== undefined) {
      const model: string[] = [];
      if (syn.modelDir !== undefined) model.push(code(syn.modelDir));
      if (syn.modelFingerprint !== undefined)
        model.push(`fingerprint ${code(syn.modelFingerprint)}`);
      if (syn.modelSeed !== undefined) model.push(`training seed ${code(syn.modelSeed)}`);
      if (syn.modelValidationNll !== undefined)
        model.push(`validation NLL ${formatNumber(syn.modelValidationNll)} nats/event`);
      rows.push([`model${k}`, model.join(', ')]);
      rows.push([
        `model training data${k}`,
        syn.modelTrainingDataHash !== undefined
          ? `${escapeXml(syn.modelTrainingData ?? '')} ${code(syn.modelTrainingDataHash)}${
              p?.real && syn.modelTrainingDataHash === p.real.contentHash
                ? ' (the real data compared here: this report measures fit to the training data, not generalisation)'
                : ''
            }`
          : 'manifest.json not found at the recorded model path',
      ]);
    }
  }
  rows.push(['trajsim version', escapeXml(p?.trajsimVersion ?? 'unknown')]);
  if (p?.commandLine) rows.push(['command line', code(p.commandLine.join(' '))]);
  if (p?.createdAt) rows.push(['created', escapeXml(p.createdAt)]);
  rows.push(['thresholds', p?.thresholdsFile ? code(p.thresholdsFile) : 'as given by the caller']);
  const s = report.settings;
  rows.push([
    'validation settings',
    `horizon ${formatNumber(s.horizonDays)} days, ${formatNumber(s.repeats)} random half-splits, seed ${code(s.seed)}`,
  ]);
  return `<section><h2>Provenance</h2><table class="kv prov">${rows
    .map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${v}</td></tr>`)
    .join('')}</table></section>`;
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
  // The run's settings are in the provenance table; here only what was asked and obtained.
  const part = (content: unknown): unknown =>
    content !== null && typeof content === 'object' && 'requestedVsAchieved' in content
      ? (content as { requestedVsAchieved: unknown }).requestedVsAchieved
      : content;
  return `<section><h2>Requested vs achieved</h2><p>From the synthetic cohort's <code>generation.json</code>, as written by the generator (its model, seed and backend are in the provenance table).</p>${report.generation
    .map(
      (g) =>
        `<h3><code>${escapeXml(g.source)}</code></h3><table class="kv">${flattenJson(
          part(g.content),
        )
          .map(([k, v]) => `<tr><td><code>${escapeXml(k)}</code></td><td>${escapeXml(v)}</td></tr>`)
          .join('')}</table>`,
    )
    .join('')}</section>`;
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
svg{max-width:100%;height:auto}.row>table{flex:1 1 320px}
table.metrics col.n{width:9%}table.metrics col.t{width:18%}table.metrics col.b{width:6%}
td.rule{font-size:12px}.reason{font-size:11px;color:#333;margin-top:2px}.why{font-size:10.5px;color:#5f6b7a;margin-top:2px}
.scroll{overflow-x:auto}table.subgroups td,table.prov td{overflow-wrap:anywhere}table.prov th{width:190px;background:none;font-weight:600}
table.prov code{font-size:12px;overflow-wrap:anywhere;color:#1d232b}table.metrics td code{overflow-wrap:anywhere}
@media (max-width:1000px){main{padding:10px}section{padding:4px 10px 12px}table.metrics col.m{width:30%}table.metrics col.t{width:22%}td,th{padding:3px 5px}td.num{white-space:normal}}
`;

/**
 * The HTML page of a fidelity report: verdict, failed metrics, the metrics table (value, noise
 * floor, matched value, ratio, threshold with its rule and reason, verdict), charts (Kaplan–Meier
 * of overall survival and per level with 95% bands, censoring ticks and numbers at risk, the
 * levels not plotted and why, the Cox forest plot, time-to-first cumulative incidence with
 * bands, gap ECDF, prevalence, transition heatmaps), provenance, requested vs achieved
 * (generation.json) and the method.
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
<tr><td>horizon</td><td>${formatNumber(s.horizonDays)} days (${formatNumber(s.horizonDays / 365.25)} years)</td></tr>
<tr><td>noise floor</td><td>${formatNumber(s.repeats)} random splits of the real patients into ${formatNumber(s.halfSizes[0])} + ${formatNumber(s.halfSizes[1])}; matched synthetic subsamples of ${formatNumber(s.matchedSize)}; seed ${escapeXml(s.seed)}</td></tr>
</table>
${findingsList(report.findings, 'error')}
${findingsList(report.findings, 'warning')}
<section><h2>Metrics</h2>${metricsTable(report.metrics)}</section>
${plausibilitySectionHtml(report)}
${report.privacy ? renderPrivacySection(report.privacy) : ''}
${chartsSection(report)}
${attributeSection(report)}
${valuesSection(report)}
${provenanceSection(report.provenance, report)}
${generationSection(report)}
<section><h2>Method</h2><p class="method">Every metric is a distance (0 = identical). <b>value</b> compares the whole synthetic cohort with the whole real data. The <b>noise floor</b> is the same metric between two random halves A and B of the real patients (mean and SD over ${formatNumber(s.repeats)} splits). <b>matched</b> compares half A with a random synthetic subsample of exactly |B| patients, so matched and noise floor are computed at the same sample sizes and have the same distribution when the generator reproduces the real process; <b>ratio</b> = mean matched ÷ mean noise floor (≈ 1 for a faithful generator). Counts and survival risk tables are exact integer-day tables, merged across shards. Curves are compared on days 0–${s.horizonDays}. See docs/validation.md.</p></section>
</main></body></html>
`;
}
