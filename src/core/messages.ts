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
  RMST_TAU_BEYOND_FOLLOWUP: 'RMST_TAU_BEYOND_FOLLOWUP',
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

// --- r-stats ---

/**
 * Warning: an RMST truncation time τ beyond the largest observed time of some groups, whose
 * curves are then carried flat to τ (an extrapolation).
 *
 * @param tauDays - τ in days.
 * @param groups - the names of the groups whose follow-up ends before τ.
 * @returns the message text.
 * @example
 * rmstTauBeyondFollowUp(3650, ['Obs'])
 * // => 'RMST at tau = 3650 days extrapolates beyond the follow-up of group Obs: the Kaplan-Meier curve is carried flat from the last observed time to tau'
 */
export function rmstTauBeyondFollowUp(tauDays: number, groups: readonly string[]): string {
  const which = groups.length === 1 ? `group ${groups[0]}` : `groups ${groups.join(', ')}`;
  return `RMST at tau = ${tauDays} days extrapolates beyond the follow-up of ${which}: the Kaplan-Meier curve is carried flat from the last observed time to tau`;
}
