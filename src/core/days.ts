import { TrajsimError } from './errors.js';

const MS_PER_DAY = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 of 0001-01-01, the first date trajsim reads or writes. */
export const MIN_EPOCH_DAY = -719_162;
/** Days since 1970-01-01 of 9999-12-31, the last date trajsim reads or writes. */
export const MAX_EPOCH_DAY = 2_932_896;

/**
 * True when `epochDay` is an integer day within 0001-01-01..9999-12-31 (four-digit years).
 *
 * @param epochDay - days since 1970-01-01 (UTC)
 * @example
 * isEpochDayInRange(2_932_897) // => false (10000-01-01)
 */
export function isEpochDayInRange(epochDay: number): boolean {
  return Number.isInteger(epochDay) && epochDay >= MIN_EPOCH_DAY && epochDay <= MAX_EPOCH_DAY;
}

/**
 * Parses a strict ISO calendar date (`YYYY-MM-DD`) to days since 1970-01-01 (UTC), the unit of
 * Arrow's Date32. Returns NaN for anything else, including impossible dates (2021-02-30).
 *
 * @example
 * parseIsoDay('1970-01-02') // => 1
 * parseIsoDay('2021-02-30') // => NaN
 */
export function parseIsoDay(text: string): number {
  const m = ISO_DATE.exec(text);
  if (!m) return Number.NaN;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (y < 1) return Number.NaN;
  // Date.UTC maps years 0..99 to 1900..1999; setUTCFullYear does not.
  const back = new Date(0);
  back.setUTCFullYear(y, mo - 1, d);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    return Number.NaN;
  }
  return back.getTime() / MS_PER_DAY;
}

/**
 * Formats days since 1970-01-01 (UTC) as `YYYY-MM-DD`.
 *
 * @example
 * formatIsoDay(0) // => '1970-01-01'
 */
export function formatIsoDay(epochDay: number): string {
  if (!Number.isInteger(epochDay)) {
    throw new TrajsimError('INVALID_ARGUMENT', `epoch day must be an integer, got ${epochDay}`);
  }
  if (!isEpochDayInRange(epochDay)) {
    throw new TrajsimError(
      'INVALID_INPUT',
      `day ${epochDay} since 1970-01-01 is outside 0001-01-01..9999-12-31`,
    );
  }
  return new Date(epochDay * MS_PER_DAY).toISOString().slice(0, 10);
}

/**
 * Like {@link parseIsoDay} but throws a located INVALID_ARGUMENT error.
 *
 * @example
 * requireIsoDay('1970-01-02', 'index_date') // => 1
 * requireIsoDay('1970-02-30', 'index_date') // throws INVALID_ARGUMENT naming index_date
 */
export function requireIsoDay(text: string, what: string): number {
  const day = parseIsoDay(text);
  if (Number.isNaN(day)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `${what}: '${text}' is not a valid date; expected YYYY-MM-DD`,
    );
  }
  return day;
}
