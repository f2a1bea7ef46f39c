/**
 * Minimal inline-SVG charts for the fidelity report: step/line charts with bands, grouped
 * horizontal bars and heatmaps. No dependency, no DOM, no script: strings in, a string out.
 */

import { formatCount } from '../core/format.js';
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

/** A coordinate with one decimal, as the charts write it: 12.34 → '12.3'. */
export const fx = (v: number): string => (Math.round(v * 10) / 10).toString();

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
