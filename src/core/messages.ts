/**
 * The catalog of warnings and progress messages. Library code never prints: it calls a
 * {@link Logger}, which the CLI connects to stderr and tests can capture.
 */
export const MESSAGES = {
  RARE_CODE_GROUPED: 'RARE_CODE_GROUPED',
  UNKNOWN_LEVEL: 'UNKNOWN_LEVEL',
  BACKEND_FALLBACK: 'BACKEND_FALLBACK',
  LOW_ACCEPTANCE: 'LOW_ACCEPTANCE',
  PROGRESS: 'PROGRESS',
  INFO: 'INFO',
} as const;

export type MessageCode = (typeof MESSAGES)[keyof typeof MESSAGES];

export interface Logger {
  warn(code: MessageCode, message: string): void;
  info(code: MessageCode, message: string): void;
  /** Progress of long work; `done` of `total` units (total NaN when unknown). */
  progress?(label: string, done: number, total: number, detail?: string): void;
}

/** A logger that drops everything: the default for library calls. */
export const SILENT_LOGGER: Logger = {
  warn() {},
  info() {},
};

/** A logger that records every message; for tests. */
export function createMemoryLogger(): Logger & {
  readonly records: { level: 'warn' | 'info'; code: MessageCode; message: string }[];
} {
  const records: { level: 'warn' | 'info'; code: MessageCode; message: string }[] = [];
  return {
    records,
    warn(code, message) {
      records.push({ level: 'warn', code, message });
    },
    info(code, message) {
      records.push({ level: 'info', code, message });
    },
  };
}

// --- f14-inference ---

/**
 * Note of `trajsim infer` when the naive synthetic estimate differs from the real one
 * beyond noise.
 *
 * @param z - (synthetic − real) / se of the difference.
 * @returns the note text.
 * @example
 * syntheticDisagreesNote(3.1) // => 'the synthetic cohort disagrees with the real sample beyond noise (z = 3.10): ...'
 */
export function syntheticDisagreesNote(z: number): string {
  return `the synthetic cohort disagrees with the real sample beyond noise (z = ${z.toFixed(2)}): do not use the naive synthetic estimate; the combined estimate corrects the bias through the twins`;
}

/**
 * Note of `trajsim infer` when the twins (real attributes) and the synthetic cohort (the
 * model's attributes) disagree beyond noise, so the synthetic weight was shrunk.
 *
 * @param z - (twins − cohort) / se of the difference.
 * @param weight - the synthetic weight λ used.
 * @returns the note text.
 * @example
 * cohortMismatchNote(2.5, 0.1) // => 'the twins and the synthetic cohort disagree (z = 2.50) ...'
 */
export function cohortMismatchNote(z: number, weight: number): string {
  return `the twins and the synthetic cohort disagree (z = ${z.toFixed(2)}): the cohort's attribute mix may differ from the real patients'; the combined estimate falls back toward real only (synthetic weight ${weight.toFixed(3)})`;
}

/**
 * Note of `trajsim infer` without twins: the combined row is the real-only row.
 *
 * @returns the note text.
 * @example
 * noTwinsNote() // => 'no twins of the real patients (give --model or --twins): ...'
 */
export function noTwinsNote(): string {
  return 'no twins of the real patients (give --model or --twins): without paired synthetic data the synthetic bias cannot be estimated, so the combined estimate is the real-only one';
}
