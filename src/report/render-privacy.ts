/**
 * The "Privacy" block of the HTML report: one table of the privacy metrics (value, 95%
 * interval, value without memorisation, threshold, verdict) and the protocol in one paragraph.
 */

import type { PrivacyMetric, PrivacyReport } from '../validate/privacy/privacy-report.js';
import { escapeXml } from './svg.js';

function num(v: number): string {
  if (Number.isNaN(v)) return '—';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 0.001) return v.toPrecision(3);
  return v === 0 ? '0' : v.toExponential(2);
}

function thresholdText(m: PrivacyMetric): string {
  const t = m.threshold;
  if (t.gate === false || (t.max === undefined && t.min === undefined)) return 'report only';
  const bound = t.max !== undefined ? `≤ ${t.max}` : `≥ ${t.min}`;
  return `${bound}, or 95% CI containing ${num(m.nullValue)}`;
}

function badge(pass: boolean | null): string {
  if (pass === true) return '<span class="badge pass">pass</span>';
  if (pass === false) return '<span class="badge fail">FAIL</span>';
  return '<span class="badge info">info</span>';
}

function row(m: PrivacyMetric): string {
  const details = Object.entries(m.details)
    .map(([k, v]) => `<tr><td>${escapeXml(k)}</td><td class="num">${num(v)}</td></tr>`)
    .join('');
  const more = details
    ? `<details><summary>details</summary><table class="inner">${details}</table></details>`
    : '';
  const note = m.note ? `<div class="note">${escapeXml(m.note)}</div>` : '';
  return `<tr class="${m.pass === false ? 'failed' : ''}"><td><div>${escapeXml(m.label)}</div><code>${escapeXml(m.id)}</code>${note}${more}</td><td class="num">${num(m.value)}<div class="unit">${escapeXml(m.unit)}</div></td><td class="num">${num(m.lower)} – ${num(m.upper)}</td><td class="num">${num(m.nullValue)}</td><td>${escapeXml(thresholdText(m))}</td><td>${badge(m.pass)}</td></tr>`;
}

/**
 * The Privacy section of report.html (also the body of `trajsim privacy --out`'s HTML).
 *
 * @example
 * renderPrivacySection(report.privacy).startsWith('<section') // => true
 */
export function renderPrivacySection(report: PrivacyReport): string {
  const s = report.settings;
  return `<section id="privacy"><h2>Privacy</h2>
<p><span class="badge ${report.passed ? 'pass' : 'fail'}">${report.passed ? 'privacy gate passes' : 'PRIVACY GATE FAILS'}</span>
training <b>${escapeXml(report.train.name)}</b> (${num(report.train.patients)} patients), holdout <b>${escapeXml(report.holdout.name)}</b> (${num(report.holdout.patients)}; ${escapeXml(s.holdoutSource)}), synthetic ${num(report.synthetic.patients)} patients.</p>
<table class="metrics"><thead><tr><th>metric</th><th>value</th><th>95% CI</th><th>without memorisation</th><th>gate</th><th></th></tr></thead><tbody>${report.metrics.map(row).join('')}</tbody></table>
<p class="method">Distance: edit distance over (code, day) events — insertion, deletion and a change of code cost 1, the same code d days apart costs min(1, d/${s.timeScaleDays}) — plus ${s.attributeWeight} × the Gower distance of the attributes. DCR: ${num(s.dcrQueries)} sampled synthetic records against ${num(s.dcrRecords)} training and ${num(s.dcrRecords)} holdout records (equal sizes). Membership inference: ${num(s.attackRecords)} training members vs ${num(s.attackRecords)} holdout non-members; attacks: ${escapeXml(s.attacks.join(', '))} (DOMIAS-style: k = ${s.domiasK}, reference density from ${num(s.referenceRecords)} other holdout records). A metric fails when it is beyond its bound and its 95% interval excludes the value expected without memorisation. See docs/privacy.md.</p></section>`;
}
