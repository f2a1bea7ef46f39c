/**
 * The bar, heatmap and forest charts of the fidelity report (svg.ts holds the line chart and
 * the shared helpers). No dependency, no DOM, no script: strings in, a string out.
 */
import { formatCount, formatNumber } from '../core/format.js';
import { COLORS, escapeXml, fx, ticks } from './svg.js';

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
