import type { FidelityReport } from '../validate/fidelity-report.js';
import type { PlausibilitySide } from '../validate/metrics/plausibility.js';
import { escapeXml } from './svg.js';

const pct = (v: number): string => (Number.isNaN(v) ? '—' : `${(100 * v).toFixed(2)}%`);

function sideCell(s: PlausibilitySide): string {
  return `<td class="num">${s.violating} / ${s.patients}<br><small>${pct(s.rate.estimate)} [${pct(s.rate.lower)}, ${pct(s.rate.upper)}]</small></td>`;
}

/**
 * The "Plausibility" section of the HTML report: per rule, violating patients real vs
 * synthetic with the Wilson 95% CI of the rate, example synthetic patient ids, and the
 * verdict; empty when the report has no plausibility audit.
 *
 * @example
 * plausibilitySectionHtml(report).startsWith('<section><h2>Plausibility') // => true
 */
export function plausibilitySectionHtml(report: FidelityReport): string {
  const p = report.plausibility;
  if (!p) return '';
  const rows = p.rules
    .map((r) => {
      const badge =
        r.pass === null
          ? '<span class="badge info">soft</span>'
          : `<span class="badge ${r.pass ? 'pass' : 'fail'}">${r.pass ? 'PASS' : 'FAIL'}</span>`;
      return `<tr${r.pass === false ? ' class="failed"' : ''}><td>${escapeXml(r.rule)}<br><code>${escapeXml(r.id)}</code> <small>${r.origin}</small></td>${sideCell(r.real)}${sideCell(r.synthetic)}<td><small>${r.synthetic.examples.map(escapeXml).join(', ')}</small></td><td>${badge}</td></tr>`;
    })
    .join('');
  return `<section><h2>Plausibility</h2><p class="method">Rules mined from the real data (kept with ≥ 30 patients at risk and no exception; see <code>trajsim rules</code>) plus the user's. For each, the patients breaking it on each side, with the Wilson 95% interval of the rate. A hard rule fails when the synthetic rate exceeds the real one beyond noise (Newcombe 95% interval of the difference above 0).</p><table class="metrics"><thead><tr><th>rule</th><th>real<br><small>violating / patients</small></th><th>synthetic<br><small>violating / patients</small></th><th>synthetic examples</th><th></th></tr></thead><tbody>${rows}</tbody></table></section>`;
}
