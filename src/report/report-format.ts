// Number formatting shared by the report's sections (render-report.ts re-exports it).
import { formatCount, formatNumber as formatWith } from '../core/format.js';

/**
 * Compact number formatting for tables: 3 significant digits, integers as is.
 *
 * @example
 * formatNumber(1234567) // => '1,234,567'
 * formatNumber(2171.4) // => '2,171'
 * formatNumber(0.012345) // => '0.0123'
 * formatNumber(Number.NaN) // => '—'
 */
export function formatNumber(v: number | null | undefined): string {
  // Thousands separators for every value of 100 or more (core's fixedFrom does not group).
  if (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) >= 100) return formatCount(v);
  return formatWith(v, {
    missing: '—',
    infinity: '∞',
    nonFinite: '−∞',
    integers: 'grouped',
    exponentBelow: 0.001,
  });
}
