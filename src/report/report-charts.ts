// The survival and event-pattern charts section of the fidelity report (render-report.ts).
import type { ChartCurve, FidelityReport, SurvivalPanel } from '../validate/fidelity-report.js';
import { formatNumber } from './report-format.js';
import { COLORS, escapeXml, type LineSeries, lineChart } from './svg.js';
import { forestPlot, groupedBars, heatmap } from './svg-plots.js';

function series(
  name: string,
  color: string,
  c: ChartCurve,
  dashed = false,
  censor?: { readonly x: readonly number[]; readonly y: readonly number[] },
): LineSeries {
  return {
    name,
    color,
    x: c.x,
    y: c.y,
    dashed,
    ...(c.lower ? { lower: c.lower } : {}),
    ...(c.upper ? { upper: c.upper } : {}),
    ...(censor ? { censor } : {}),
  };
}

/** The two curves of a survival panel (real solid, synthetic dashed) with bands and marks. */
function panelSeries(p: SurvivalPanel, label: string, realColor: string, synColor: string) {
  return [
    series(`${label}real`, realColor, p.real, false, p.censorReal),
    series(`${label}synthetic`, synColor, p.synthetic, true, p.censorSynthetic),
  ];
}

/** "1,234 d (95% CI 1,100–not reached)", with "not reached" for undefined limits. */
function medianText(m: { value: number; lower: number; upper: number }): string {
  const part = (v: number) => (Number.isNaN(v) ? 'not reached' : `${formatNumber(v)}`);
  if (Number.isNaN(m.value)) return `not reached (95% CI ${part(m.lower)}–${part(m.upper)})`;
  return `${part(m.value)} d (95% CI ${part(m.lower)}–${part(m.upper)})`;
}

/** A p-value as analysts write it: 3 significant digits, "< 0.001" below. */
function pText(p: number): string {
  if (Number.isNaN(p)) return '—';
  return p < 0.001 ? '< 0.001' : p.toPrecision(2);
}

function excludedSection(report: FidelityReport): string {
  const ex = report.charts.excludedLevels;
  const shown = report.charts.strata.length;
  const rule = `${formatNumber((ex[0]?.minShare ?? 0.05) * 100)}%`;
  const rows = ex
    .map(
      (e) =>
        `<tr><td><code>${escapeXml(e.attribute)} = ${escapeXml(e.level)}</code></td><td class="num">${formatNumber(e.realPatients)}</td><td class="num">${formatNumber(e.realShare * 100)}%</td><td class="num">${formatNumber(e.syntheticPatients)}</td><td>${
          e.reason === 'below-min-share'
            ? `held by fewer than ${rule} of real patients: too few for a curve or a sup-norm with a usable noise floor; not plotted, not gated (its patients are in every other metric and in the Cox model)`
            : `the only level of ${escapeXml(e.attribute)} held by at least ${rule} of real patients: no other level to compare with (its patients are in every other metric)`
        }</td></tr>`,
    )
    .join('');
  return `<h3>Every subgroup</h3><p>${formatNumber(shown)} levels are plotted above (held by at least ${rule} of real patients). ${
    ex.length === 0
      ? 'No level is left out.'
      : `${formatNumber(ex.length)} level${ex.length === 1 ? ' is' : 's are'} not:`
  }</p>${ex.length === 0 ? '' : `<div class="scroll"><table class="subgroups"><thead><tr><th>level</th><th>real patients</th><th>share of real</th><th>synthetic patients</th><th>why not plotted</th></tr></thead><tbody>${rows}</tbody></table></div>`}`;
}

function forestSection(report: FidelityReport): string {
  const f = report.charts.forest;
  if (f.terms.length === 0) {
    return `<h3>Cox model</h3><p>${escapeXml(f.note ?? 'no Cox term')}</p>`;
  }
  const rows = f.terms.map((t) => ({
    label:
      t.level === null
        ? `${t.attribute} (per unit)`
        : `${t.attribute}: ${t.level} vs ${t.reference ?? '?'}`,
    estimates: [t.real, t.synthetic],
  }));
  const refs = [
    ...new Set(
      f.terms.filter((t) => t.reference !== null).map((t) => `${t.attribute} = ${t.reference}`),
    ),
  ];
  return `<h3>Cox model of overall survival on all attributes: hazard ratios, real vs synthetic</h3><p class="method">Efron ties, one model per side, categorical attributes as treatment contrasts; reference levels: ${escapeXml(refs.join(', ') || 'none')}. A synthetic point outside the real interval is what <code>cox.hr_outside_ci</code> counts.${f.note ? ` ${escapeXml(f.note)}.` : ''}</p><div class="row">${forestPlot(
    rows,
    [
      { name: 'real', color: COLORS.real },
      { name: 'synthetic', color: COLORS.synthetic },
    ],
    { title: 'Hazard ratios (95% CI)' },
  )}</div>`;
}

/** The charts section: survival panels, forest plot, time-to-first, gaps, prevalence, transitions. */
export function chartsSection(report: FidelityReport): string {
  const c = report.charts;
  const h = c.horizonDays;
  const marker = { x: h, label: `horizon ${formatNumber(h)} d` };
  const rowsOf = (
    p: SurvivalPanel,
    label = '',
    realColor: string = COLORS.real,
    synColor: string = COLORS.synthetic,
  ) => [
    { label: `${label}real`, color: realColor, values: p.atRisk.real },
    { label: `${label}synthetic`, color: synColor, values: p.atRisk.synthetic },
  ];
  const os = lineChart(panelSeries(c.os, '', COLORS.real, COLORS.synthetic), {
    title: 'Overall survival (Kaplan–Meier, 95% CI, | censored)',
    xLabel: 'days since index (years below)',
    yLabel: 'survival probability',
    marker,
    width: 560,
    years: true,
    atRisk: { days: c.os.atRisk.days, rows: rowsOf(c.os) },
  });
  const lr = c.os.logRank;
  const osText = `<table class="kv"><tr><th></th><th>real</th><th>synthetic</th></tr><tr><td>patients</td><td class="num">${formatNumber(c.os.patients.real)}</td><td class="num">${formatNumber(c.os.patients.synthetic)}</td></tr><tr><td>median</td><td>${medianText(c.os.realMedian)}</td><td>${medianText(c.os.syntheticMedian)}</td></tr><tr><td>RMST(${formatNumber(h)} d)</td><td>${formatNumber(c.os.realRmst.value)} d (SE ${formatNumber(c.os.realRmst.se)})</td><td>${formatNumber(c.os.syntheticRmst.value)} d (SE ${formatNumber(c.os.syntheticRmst.se)})</td></tr><tr><td>log-rank</td><td colspan="2">χ² ${formatNumber(lr.chisq)}, df ${formatNumber(lr.df)}, p ${pText(lr.p)} (real vs synthetic, whole follow-up; report only: its power grows with cohort size)</td></tr></table>`;

  const attributes = [...new Set(c.strata.map((s) => s.attribute))];
  const strata = attributes
    .map((attr) => {
      const levels = c.strata.filter((s) => s.attribute === attr);
      const lines = levels.flatMap((s, i) =>
        panelSeries(
          s,
          `${s.level} `,
          COLORS.palette[i % COLORS.palette.length]!,
          COLORS.palette[i % COLORS.palette.length]!,
        ),
      );
      const rows = levels.flatMap((s, i) => {
        const color = COLORS.palette[i % COLORS.palette.length]!;
        return [
          { label: `${s.level} real`, color, values: s.atRisk.real },
          { label: `${s.level} syn.`, color, values: s.atRisk.synthetic },
        ];
      });
      return lineChart(lines, {
        title: `By ${attr} (solid real, dashed synthetic; 95% CI)`,
        xLabel: 'days since index (years below)',
        yLabel: 'survival probability',
        width: 400,
        height: 280,
        marker,
        years: true,
        atRisk: { days: levels[0]?.atRisk.days ?? [], rows },
      });
    })
    .join('');

  const ttf = c.timeToFirst
    .map((t) =>
      lineChart(panelSeries(t, '', COLORS.real, COLORS.synthetic), {
        title: t.code,
        xLabel: 'days (years below)',
        yLabel: 'cumulative incidence',
        width: 420,
        height: 240,
        legend: false,
        years: true,
        atRisk: { days: t.atRisk.days, rows: rowsOf(t) },
      }),
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
  return `<section><h2>Survival</h2><p class="method">Kaplan–Meier curves with Greenwood log-transformed 95% pointwise bands (shaded), censorings as ticks (at most 150 per curve), numbers at risk under each plot at round time points; the y-axis is 0–1 on every plot.</p><div class="row">${os}${osText}</div><h3>Conditioning: survival per attribute level</h3><div class="row">${strata}</div>${excludedSection(report)}${forestSection(report)}</section>
<section><h2>Time</h2><div class="row">${gaps}</div><h3>Time to first occurrence: cumulative incidence with death competing (Aalen–Johansen, 95% CI; solid real, dashed synthetic)</h3><div class="row">${ttf}</div></section>
<section><h2>Structure</h2><div class="row">${prevalence}</div><div class="row">${heat}</div></section>`;
}
