/**
 * Number and JSON formatting for people and files, in one place. Each caller picks its style
 * with options (tables, CLI lines, progress); the styles are the ones each place used before.
 */

/** How {@link formatNumber} writes a number. */
export interface NumberStyle {
  /** Significant digits (default 3). */
  readonly digits?: number;
  /** Write non-integers with this many decimals (toFixed) instead of significant digits. */
  readonly decimals?: number;
  /** Text for NaN, null and undefined (default 'NaN'). */
  readonly missing?: string;
  /** Text for ±Infinity (default: String(v), e.g. 'Infinity'); '∞' style is `infinity`. */
  readonly nonFinite?: string;
  /** Text for +Infinity only (overrides nonFinite). */
  readonly infinity?: string;
  /** Integers: as is ('plain', default), with thousands separators ('grouped'), or like others ('digits'). */
  readonly integers?: 'plain' | 'grouped' | 'digits';
  /** Absolute values at or above this are rounded to an integer (default never). */
  readonly fixedFrom?: number;
  /** Non-zero absolute values below this use exponent notation (default never). */
  readonly exponentBelow?: number;
}

/**
 * Formats a number for people: significant digits by default, with the missing-value text,
 * integer and large/small value handling of `style`.
 *
 * @param v - the number (null/undefined are missing)
 * @param style - see {@link NumberStyle}
 * @example
 * formatNumber(0.123456) // => '0.123'
 * formatNumber(1234.5, { fixedFrom: 100 }) // => '1235'
 * formatNumber(Number.NaN, { missing: 'NA' }) // => 'NA'
 */
export function formatNumber(v: number | null | undefined, style: NumberStyle = {}): string {
  if (v === null || v === undefined || Number.isNaN(v)) return style.missing ?? 'NaN';
  if (!Number.isFinite(v)) {
    if (v > 0 && style.infinity !== undefined) return style.infinity;
    return style.nonFinite ?? String(v);
  }
  const integers = style.integers ?? 'plain';
  if (Number.isInteger(v) && integers !== 'digits') {
    return integers === 'grouped' ? v.toLocaleString('en-US') : String(v);
  }
  const a = Math.abs(v);
  if (style.fixedFrom !== undefined && a >= style.fixedFrom) return v.toFixed(0);
  if (style.decimals !== undefined) return v.toFixed(style.decimals);
  const digits = style.digits ?? 3;
  if (style.exponentBelow !== undefined && a < style.exponentBelow && a !== 0) {
    return v.toExponential(digits - 1);
  }
  return v.toPrecision(digits);
}

/**
 * A count rounded to an integer with thousands separators.
 *
 * @param n - the count
 * @example
 * formatCount(1234567.4) // => '1,234,567'
 */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * A duration for progress lines: seconds below 90 s, minutes below 90 min, else hours.
 *
 * @param seconds - the duration in seconds
 * @example
 * formatDuration(4000) // => '67m'
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 90) return `${Math.round(seconds)}s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m`;
  return `${(seconds / 3600).toFixed(1)}h`;
}

/** How {@link toJsonText} writes what JSON cannot hold. */
export interface JsonStyle {
  /** Indentation (default none). */
  readonly indent?: number;
  /** ±Infinity as null ('null', default) or as the strings "Infinity"/"-Infinity" ('string'). NaN is always null. */
  readonly infinity?: 'null' | 'string';
  /** Write typed arrays as JSON arrays (default false: JSON.stringify's own object form). */
  readonly typedArrays?: boolean;
}

/**
 * JSON text that never holds NaN or Infinity (JSON has neither): NaN → null (R's NA),
 * ±Infinity → null or "Infinity"/"-Infinity".
 *
 * @param value - what to serialise
 * @param style - see {@link JsonStyle}
 * @example
 * toJsonText({ p: Number.NaN, hr: Infinity }) // => '{"p":null,"hr":null}'
 * toJsonText({ hr: -Infinity }, { infinity: 'string' }) // => '{"hr":"-Infinity"}'
 */
export function toJsonText(value: unknown, style: JsonStyle = {}): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) {
        if (Number.isNaN(v) || style.infinity !== 'string') return null;
        return v > 0 ? 'Infinity' : '-Infinity';
      }
      if (style.typedArrays && ArrayBuffer.isView(v) && !(v instanceof DataView)) {
        return Array.from(v as unknown as ArrayLike<number>);
      }
      return v;
    },
    style.indent,
  );
}
