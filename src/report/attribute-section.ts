import type { FidelityReport } from '../validate/fidelity-report.js';
import { COLORS, escapeXml } from './svg.js';
import { heatmap } from './svg-plots.js';

const f3 = (v: number | undefined): string =>
  v === undefined || Number.isNaN(v) ? '—' : v.toFixed(Math.abs(v) >= 100 ? 0 : 3);

/** Term names of a metric's details written as `<term>.<field>`, in first-seen order. */
function termsOf(details: Readonly<Record<string, number>>, field: string): string[] {
  const suffix = `.${field}`;
  return Object.keys(details)
    .filter((k) => k.endsWith(suffix))
    .map((k) => k.slice(0, -suffix.length));
}

function hazardTable(title: string, details: Readonly<Record<string, number>>): string {
  const rows = termsOf(details, 'z2').map((t) => {
    const d = (f: string) => details[`${t}.${f}`];
    const z2 = d('z2') ?? Number.NaN;
    const cls = Math.abs(z2) > 2 ? ' class="failed"' : '';
    return `<tr${cls}><td><code>${escapeXml(t)}</code></td><td class="num">${f3(Math.exp(d('ref_coef') ?? Number.NaN))}</td><td class="num">${f3(Math.exp(d('other_coef') ?? Number.NaN))}</td><td class="num">${f3(d('z'))}</td><td class="num">${f3(z2)}</td></tr>`;
  });
  return `<div><h3>${escapeXml(title)}</h3><table><tr><th>term</th><th>HR real</th><th>HR synthetic</th><th>z <small>(Δ ÷ SE real)</small></th><th>z₂ <small>(Δ ÷ √(SE²+SE²), gated)</small></th></tr>${rows.join('')}</table></div>`;
}

/**
 * The "Attributes" section of the HTML report (issue 17): hazard ratios real vs synthetic per
 * Cox term (all attributes jointly, and each attribute alone) with their z, and the pairwise
 * attribute-association heatmaps of the real and the synthetic data side by side, read from
 * the details of the `cox.term_z.max_abs`, `cox.univariate_z.max_abs` and
 * `attributes.association.max_abs_diff` metrics. Empty when the report has none of them.
 *
 * @param report a fidelity report
 * @example
 * attributeSection(report).startsWith('<section><h2>Attributes') // => true (when present)
 */
export function attributeSection(report: FidelityReport): string {
  const byId = (id: string) => report.metrics.find((m) => m.id === id)?.details;
  const joint = byId('cox.term_z.max_abs');
  const alone = byId('cox.univariate_z.max_abs');
  const assoc = byId('attributes.association.max_abs_diff');
  if (!joint && !alone && !assoc) return '';
  const parts: string[] = [];
  const tables: string[] = [];
  if (joint) tables.push(hazardTable('Cox hazard ratios, all attributes jointly', joint));
  if (alone) tables.push(hazardTable('Cox hazard ratios, one attribute at a time', alone));
  if (tables.length > 0) parts.push(`<div class="row">${tables.join('')}</div>`);
  if (assoc) {
    const names: string[] = [];
    for (const key of termsOf(assoc, 'ref')) {
      for (const n of key.split('~')) if (!names.includes(n)) names.push(n);
    }
    const matrix = (side: 'ref' | 'other') =>
      names.map((a, i) =>
        names.map((b, j) => {
          if (i === j) return 1;
          return assoc[`${a}~${b}.${side}`] ?? assoc[`${b}~${a}.${side}`] ?? 0;
        }),
      );
    parts.push(
      `<h3>Pairwise association (Cramér's V, η, Spearman |ρ|)</h3><div class="row">${heatmap(names, names, matrix('ref'), { title: 'real' })}${heatmap(names, names, matrix('other'), { title: 'synthetic', color: COLORS.synthetic })}</div>`,
    );
  }
  return `<section><h2>Attributes</h2>${parts.join('')}</section>`;
}
