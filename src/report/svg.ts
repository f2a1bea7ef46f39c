/**
 * Minimal inline-SVG charts for the fidelity report: step/line charts with bands, grouped
 * horizontal bars and heatmaps. No dependency, no DOM, no script: strings in, a string out.
 */

import { formatCount, formatNumber } from '../core/format.js';
import { atRiskDays, DAYS_PER_YEAR } from '../validate/chart-data.js';

/**
 * Escapes text for HTML/SVG content and attribute values.
 *
 * @example
 * escapeXml('a < b & "c"') // => 'a &lt; b &amp; &quot;c&quot;'
 */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** The report's two series colours (real, synthetic) and a palette for strata. */
export const COLORS = {
  real: '#1f4e9c',
  synthetic: '#d9480f',
  grid: '#e3e6ea',
  axis: '#5f6b7a',
  palette: ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'],
} as const;

/** One series of a line chart. */
export interface LineSeries {
  readonly name: string;
  readonly color: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly lower?: readonly number[];
  readonly upper?: readonly number[];
  readonly dashed?: boolean;
  /** Censoring marks: short vertical ticks at these (x, y) points. */
  readonly censor?: { readonly x: readonly number[]; readonly y: readonly number[] };
}

/** A numbers-at-risk table drawn under a chart, aligned with its time points. */
export interface AtRiskRows {
  /** The time points, in days (they also become the x-axis ticks). */
  readonly days: readonly number[];
  readonly rows: readonly {
    readonly label: string;
    readonly color: string;
    readonly values: readonly number[];
  }[];
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly width?: number;
  readonly height?: number;
  /** y range, default [0, 1]. */
  readonly yDomain?: readonly [number, number];
  /** Draw as right-continuous steps (survival curves, ECDFs); default true. */
  readonly step?: boolean;
  /** A vertical marker, e.g. the horizon. */
  readonly marker?: { readonly x: number; readonly label: string };
  readonly legend?: boolean;
  /** Label x ticks in days and years (ticks at the at-risk days, or at whole years). */
  readonly years?: boolean;
  /** Numbers at risk under the plot (rows of counts at the given days). */
  readonly atRisk?: AtRiskRows;
}

/** Years as a short label: 730 → '2 y', 183 → '0.5 y'. */
function yearsLabel(days: number): string {
  return `${Math.round((days / DAYS_PER_YEAR) * 100) / 100} y`;
}

const fx = (v: number): string => (Math.round(v * 10) / 10).toString();

/**
 * "Nice" tick values covering [lo, hi].
 *
 * @example
 * ticks(0, 1) // => [0, 0.2, 0.4, 0.6, 0.8, 1]
 * ticks(0, 730) // => [0, 200, 400, 600]
 */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.round(v * 1e9) / 1e9);
  }
  return out;
}

function pathOf(
  xs: readonly number[],
  ys: readonly number[],
  sx: (v: number) => number,
  sy: (v: number) => number,
  step: boolean,
): string {
  let d = '';
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i]!;
    if (!Number.isFinite(y)) continue;
    const x = sx(xs[i]!);
    if (d === '') d = `M${fx(x)},${fx(sy(y))}`;
    else if (step) d += `H${fx(x)}V${fx(sy(y))}`;
    else d += `L${fx(x)},${fx(sy(y))}`;
  }
  return d;
}

function bandOf(
  s: LineSeries,
  sx: (v: number) => number,
  sy: (v: number) => number,
  step: boolean,
): string {
  const { lower, upper } = s;
  if (!lower || !upper) return '';
  const top: string[] = [];
  const bottom: string[] = [];
  for (let i = 0; i < s.x.length; i++) {
    const lo = lower[i]!;
    const up = upper[i]!;
    if (!Number.isFinite(lo) || !Number.isFinite(up)) continue;
    const x = sx(s.x[i]!);
    const next = i + 1 < s.x.length ? sx(s.x[i + 1]!) : x;
    top.push(`${fx(x)},${fx(sy(up))}`);
    if (step) top.push(`${fx(next)},${fx(sy(up))}`);
    bottom.push(`${fx(x)},${fx(sy(lo))}`);
    if (step) bottom.push(`${fx(next)},${fx(sy(lo))}`);
  }
  if (top.length === 0) return '';
  return `<polygon points="${[...top, ...bottom.reverse()].join(' ')}" fill="${s.color}" fill-opacity="0.15" stroke="none"/>`;
}

/**
 * A line (or step) chart with optional confidence bands, axes, grid, legend and marker.
 *
 * @example
 * lineChart([{ name: 'real', color: '#000', x: [0, 10], y: [1, 0.5] }],
 *   { title: 'OS', xLabel: 'days', yLabel: 'S(t)' }).startsWith('<svg') // => true
 */
export function lineChart(series: readonly LineSeries[], options: LineChartOptions): string {
  const legend = options.legend ?? true;
  const legendWidth = legend ? 130 : 0;
  const width = (options.width ?? 520) + legendWidth;
  const atRiskRows = options.atRisk?.rows ?? [];
  const atRiskHeight = atRiskRows.length > 0 ? 22 + 13 * atRiskRows.length : 0;
  const years = options.years ?? false;
  const plotHeight = options.height ?? 300;
  const height = plotHeight + atRiskHeight + (years ? 10 : 0);
  const m = {
    left: options.atRisk ? 120 : 52,
    right: 14 + legendWidth,
    top: 30,
    bottom: 42 + atRiskHeight + (years ? 10 : 0),
  };
  const [y0, y1] = options.yDomain ?? [0, 1];
  let xMax = 0;
  for (const s of series) for (const x of s.x) if (x > xMax) xMax = x;
  if (xMax === 0) xMax = 1;
  const sx = (v: number) => m.left + (v / xMax) * (width - m.left - m.right);
  const sy = (v: number) => m.top + (1 - (v - y0) / (y1 - y0)) * (height - m.top - m.bottom);
  const step = options.step ?? true;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(options.title)}">`,
  );
  parts.push(
    `<text x="${m.left}" y="18" font-size="13" font-weight="600" fill="#222">${escapeXml(options.title)}</text>`,
  );
  for (const t of ticks(y0, y1, 5)) {
    parts.push(
      `<line x1="${m.left}" x2="${width - m.right}" y1="${fx(sy(t))}" y2="${fx(sy(t))}" stroke="${COLORS.grid}"/>`,
      `<text x="${m.left - 6}" y="${fx(sy(t) + 4)}" font-size="10" text-anchor="end" fill="${COLORS.axis}">${t}</text>`,
    );
  }
  const xTicks = options.atRisk
    ? options.atRisk.days.filter((d) => d <= xMax)
    : years
      ? atRiskDays(xMax)
      : ticks(0, xMax, 6);
  for (const t of xTicks) {
    parts.push(
      `<line x1="${fx(sx(t))}" x2="${fx(sx(t))}" y1="${height - m.bottom}" y2="${height - m.bottom + 4}" stroke="${COLORS.axis}"/>`,
      `<text x="${fx(sx(t))}" y="${height - m.bottom + 15}" font-size="10" text-anchor="middle" fill="${COLORS.axis}">${Number.isInteger(t) ? formatCount(t) : t}</text>`,
    );
    if (years) {
      parts.push(
        `<text x="${fx(sx(t))}" y="${height - m.bottom + 26}" font-size="9" text-anchor="middle" fill="${COLORS.axis}">${yearsLabel(t)}</text>`,
      );
    }
  }
  parts.push(
    `<line x1="${m.left}" x2="${width - m.right}" y1="${height - m.bottom}" y2="${height - m.bottom}" stroke="${COLORS.axis}"/>`,
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${height - m.bottom}" stroke="${COLORS.axis}"/>`,
    `<text x="${(m.left + width - m.right) / 2}" y="${height - m.bottom + (years ? 38 : 30)}" font-size="11" text-anchor="middle" fill="${COLORS.axis}">${escapeXml(options.xLabel)}</text>`,
    `<text transform="translate(13 ${(m.top + height - m.bottom) / 2}) rotate(-90)" font-size="11" text-anchor="middle" fill="${COLORS.axis}">${escapeXml(options.yLabel)}</text>`,
  );
  for (const s of series) parts.push(bandOf(s, sx, sy, step));
  for (const s of series) {
    parts.push(
      `<path d="${pathOf(s.x, s.y, sx, sy, step)}" fill="none" stroke="${s.color}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="5 3"' : ''}><title>${escapeXml(s.name)}</title></path>`,
    );
    if (s.censor && s.censor.x.length > 0) {
      let d = '';
      for (let i = 0; i < s.censor.x.length; i++) {
        const x = s.censor.x[i]!;
        if (x > xMax) continue;
        const y = sy(s.censor.y[i]!);
        d += `M${fx(sx(x))},${fx(y - 3.5)}v7`;
      }
      parts.push(
        `<path d="${d}" stroke="${s.color}" stroke-width="1" fill="none"><title>${escapeXml(`${s.name}: censored`)}</title></path>`,
      );
    }
  }
  if (options.marker && options.marker.x <= xMax) {
    const x = fx(sx(options.marker.x));
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${m.top}" y2="${height - m.bottom}" stroke="${COLORS.axis}" stroke-dasharray="2 3"/>`,
      `<text x="${fx(sx(options.marker.x) - 3)}" y="${m.top + 10}" font-size="9" text-anchor="end" fill="${COLORS.axis}">${escapeXml(options.marker.label)}</text>`,
    );
  }
  if (options.atRisk && atRiskRows.length > 0) {
    const top = plotHeight - 42 + (years ? 10 : 0) + 46;
    parts.push(
      `<text x="4" y="${top}" font-size="10" font-weight="600" fill="#333">Number at risk</text>`,
    );
    atRiskRows.forEach((row, r) => {
      const y = top + 13 * (r + 1);
      parts.push(
        `<text x="${m.left - 22}" y="${y}" font-size="9.5" text-anchor="end" fill="${row.color}">${escapeXml(row.label)}</text>`,
      );
      options.atRisk!.days.forEach((day, i) => {
        if (day > xMax) return;
        const v = row.values[i];
        parts.push(
          `<text x="${fx(sx(day))}" y="${y}" font-size="9.5" text-anchor="middle" fill="${row.color}">${v === undefined ? '' : formatCount(v)}</text>`,
        );
      });
    });
  }
  if (legend) {
    let ly = m.top + 8;
    for (const s of series) {
      const lx = width - legendWidth + 4;
      parts.push(
        `<line x1="${lx}" x2="${lx + 20}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
        `<text x="${lx + 25}" y="${ly + 4}" font-size="10" fill="#333">${escapeXml(s.name)}</text>`,
      );
      ly += 14;
    }
  }
  parts.push('</svg>');
  return parts.join('');
}

/**
 * Grouped horizontal bars: one row per category, one bar per series.
 *
 * @example
 * groupedBars(['DEATH', 'RECURRENCE'], [{ name: 'real', color: '#333', values: [0.4, 0.3] }], {
 *   title: 'Prevalence',
 *   xLabel: 'fraction of patients',
 * })
 * // => '<svg …>…</svg>' (one bar per code and series)
 */
export function groupedBars(
  categories: readonly string[],
  series: readonly {
    readonly name: string;
    readonly color: string;
    readonly values: readonly number[];
  }[],
  options: { readonly title: string; readonly xLabel: string; readonly width?: number },
): string {
  const width = options.width ?? 520;
  const rowH = 8 * series.length + 8;
  const m = { left: 170, right: 50, top: 44, bottom: 30 };
  const height = m.top + m.bottom + rowH * categories.length;
  let max = 0;
  for (const s of series) for (const v of s.values) if (v > max) max = v;
  if (max === 0) max = 1;
  const sx = (v: number) => m.left + (v / max) * (width - m.left - m.right);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(options.title)}">`,
    `<text x="8" y="18" font-size="13" font-weight="600" fill="#222">${escapeXml(options.title)}</text>`,
  ];
  series.forEach((s, j) => {
    parts.push(
      `<rect x="${m.left + j * 110}" y="26" width="10" height="10" fill="${s.color}"/>`,
      `<text x="${m.left + j * 110 + 14}" y="35" font-size="10" fill="#333">${escapeXml(s.name)}</text>`,
    );
  });
  for (const t of ticks(0, max, 5)) {
    parts.push(
      `<line x1="${fx(sx(t))}" x2="${fx(sx(t))}" y1="${m.top}" y2="${height - m.bottom}" stroke="${COLORS.grid}"/>`,
      `<text x="${fx(sx(t))}" y="${height - m.bottom + 14}" font-size="10" text-anchor="middle" fill="${COLORS.axis}">${t}</text>`,
    );
  }
  categories.forEach((c, i) => {
    const y = m.top + i * rowH;
    parts.push(
      `<text x="${m.left - 6}" y="${y + rowH / 2 + 3}" font-size="10" text-anchor="end" fill="#333">${escapeXml(c)}</text>`,
    );
    series.forEach((s, j) => {
      const v = s.values[i] ?? 0;
      parts.push(
        `<rect x="${m.left}" y="${y + 4 + j * 8}" width="${fx(Math.max(0, sx(v) - m.left))}" height="7" fill="${s.color}"><title>${escapeXml(`${c} ${s.name}: ${v}`)}</title></rect>`,
      );
    });
  });
  parts.push(
    `<text x="${(m.left + width - m.right) / 2}" y="${height - 4}" font-size="11" text-anchor="middle" fill="${COLORS.axis}">${escapeXml(options.xLabel)}</text>`,
    '</svg>',
  );
  return parts.join('');
}

/**
 * A heatmap of values in [0, 1] (white → `color`), rows × columns, with hover titles.
 * `scale` maps a value to colour intensity (default 1: intensity = value).
 *
 * @example
 * heatmap(['A', 'B'], ['A', 'B'], [[0, 1], [0.5, 0.5]], { title: 'Transitions' })
 * // => '<svg …>…</svg>' (one cell per row and column)
 */
export function heatmap(
  rows: readonly string[],
  columns: readonly string[],
  values: readonly (readonly number[])[],
  options: {
    readonly title: string;
    readonly color?: string;
    readonly cell?: number;
    readonly scale?: number;
  },
): string {
  const cell = options.cell ?? 18;
  const scale = options.scale ?? 1;
  const m = { left: 150, top: 130, right: 80, bottom: 10 };
  const width = m.left + m.right + cell * columns.length;
  const height = m.top + m.bottom + cell * rows.length;
  const [r, g, b] = hexToRgb(options.color ?? COLORS.real);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(options.title)}">`,
    `<text x="8" y="18" font-size="13" font-weight="600" fill="#222">${escapeXml(options.title)}</text>`,
  ];
  columns.forEach((c, j) => {
    const x = m.left + j * cell + cell / 2 + 3;
    parts.push(
      `<text transform="translate(${x} ${m.top - 6}) rotate(-60)" font-size="9" fill="#333">${escapeXml(c)}</text>`,
    );
  });
  rows.forEach((row, i) => {
    const y = m.top + i * cell;
    parts.push(
      `<text x="${m.left - 6}" y="${y + cell / 2 + 3}" font-size="9" text-anchor="end" fill="#333">${escapeXml(row)}</text>`,
    );
    columns.forEach((c, j) => {
      const v = values[i]?.[j] ?? 0;
      const k = Math.max(0, Math.min(1, v * scale));
      const mix = (base: number) => Math.round(255 - k * (255 - base));
      parts.push(
        `<rect x="${m.left + j * cell}" y="${y}" width="${cell - 1}" height="${cell - 1}" fill="rgb(${mix(r)},${mix(g)},${mix(b)})"><title>${escapeXml(`${row} → ${c}: ${v.toFixed(3)}`)}</title></rect>`,
      );
    });
  });
  parts.push('</svg>');
  return parts.join('');
}

function hexToRgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** One row of a forest plot: a label and one estimate with its interval per series. */
export interface ForestRow {
  readonly label: string;
  /** One per series, in series order; NaN hr for "not estimated". */
  readonly estimates: readonly {
    readonly hr: number;
    readonly lower: number;
    readonly upper: number;
  }[];
}

/** Compact ratio text: 3 significant digits, "—" for NaN, "∞" for infinity. */
function ratioText(v: number): string {
  if (Number.isFinite(v) && Math.abs(v) >= 100) return formatCount(v);
  return formatNumber(v, { missing: '—', nonFinite: '∞', integers: 'digits' });
}

/**
 * A forest plot of hazard ratios on a log axis: one row per term, one point and 95% interval
 * per series (offset vertically), a reference line at 1, and the numbers at the right.
 *
 * @example
 * forestPlot([{ label: 'sex: male vs female', estimates: [{ hr: 1.2, lower: 0.9, upper: 1.6 }] }],
 *   [{ name: 'real', color: '#1f4e9c' }], { title: 'Cox hazard ratios' }).startsWith('<svg') // => true
 */
export function forestPlot(
  rows: readonly ForestRow[],
  series: readonly { readonly name: string; readonly color: string }[],
  options: { readonly title: string; readonly width?: number },
): string {
  const width = options.width ?? 780;
  const rowH = 10 * series.length + 10;
  const m = { left: 190, right: 250, top: 46, bottom: 36 };
  const height = m.top + m.bottom + rowH * Math.max(1, rows.length);
  let lo = 1;
  let hi = 1;
  for (const r of rows) {
    for (const e of r.estimates) {
      for (const v of [e.lower, e.upper, e.hr]) {
        if (Number.isFinite(v) && v > 0) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    }
  }
  const l0 = Math.log(Math.max(lo, 1e-3) / 1.1);
  const l1 = Math.log(Math.min(hi, 1e3) * 1.1);
  const sx = (v: number) =>
    m.left +
    ((Math.log(Math.min(Math.max(v, 1e-3), 1e3)) - l0) / (l1 - l0)) * (width - m.left - m.right);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(options.title)}">`,
    `<text x="8" y="18" font-size="13" font-weight="600" fill="#222">${escapeXml(options.title)}</text>`,
  ];
  series.forEach((s, j) => {
    parts.push(
      `<line x1="${m.left + j * 120}" x2="${m.left + j * 120 + 16}" y1="31" y2="31" stroke="${s.color}" stroke-width="2"/><circle cx="${m.left + j * 120 + 8}" cy="31" r="3" fill="${s.color}"/>`,
      `<text x="${m.left + j * 120 + 20}" y="35" font-size="10" fill="#333">${escapeXml(s.name)} (HR, 95% CI)</text>`,
    );
  });
  const candidates = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50];
  const axis = candidates.filter((t) => t >= Math.exp(l0) && t <= Math.exp(l1));
  for (const t of axis) {
    parts.push(
      `<line x1="${fx(sx(t))}" x2="${fx(sx(t))}" y1="${m.top}" y2="${height - m.bottom}" stroke="${t === 1 ? COLORS.axis : COLORS.grid}"${t === 1 ? ' stroke-dasharray="3 3"' : ''}/>`,
      `<text x="${fx(sx(t))}" y="${height - m.bottom + 14}" font-size="10" text-anchor="middle" fill="${COLORS.axis}">${t}</text>`,
    );
  }
  parts.push(
    `<text x="${(m.left + width - m.right) / 2}" y="${height - 6}" font-size="11" text-anchor="middle" fill="${COLORS.axis}">hazard ratio (log scale; &lt; 1 protective, &gt; 1 harmful)</text>`,
  );
  rows.forEach((r, i) => {
    const y = m.top + i * rowH;
    if (i % 2 === 1) {
      parts.push(`<rect x="4" y="${y}" width="${width - 8}" height="${rowH}" fill="#f6f7f9"/>`);
    }
    parts.push(
      `<text x="${m.left - 8}" y="${y + rowH / 2 + 3}" font-size="10" text-anchor="end" fill="#333">${escapeXml(r.label)}</text>`,
    );
    const texts: string[] = [];
    r.estimates.forEach((e, j) => {
      const s = series[j]!;
      const cy = y + 8 + j * 10;
      texts.push(`${ratioText(e.hr)} (${ratioText(e.lower)}–${ratioText(e.upper)})`);
      if (!Number.isFinite(e.hr)) return;
      const title = escapeXml(
        `${r.label}, ${s.name}: HR ${ratioText(e.hr)} (95% CI ${ratioText(e.lower)}–${ratioText(e.upper)})`,
      );
      parts.push(
        `<g><title>${title}</title>${Number.isFinite(e.lower) && Number.isFinite(e.upper) ? `<line x1="${fx(sx(e.lower))}" x2="${fx(sx(e.upper))}" y1="${cy}" y2="${cy}" stroke="${s.color}" stroke-width="1.6"/>` : ''}<circle cx="${fx(sx(e.hr))}" cy="${cy}" r="3.2" fill="${s.color}"/></g>`,
      );
    });
    texts.forEach((t, j) => {
      parts.push(
        `<text x="${width - m.right + 10}" y="${y + 11 + j * 10}" font-size="9.5" fill="${series[j]!.color}">${escapeXml(t)}</text>`,
      );
    });
  });
  parts.push('</svg>');
  return parts.join('');
}
