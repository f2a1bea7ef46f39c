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

// --- f9-rules ---

/** A rule edit names a rule the set does not have. */
export function unknownRuleMessage(
  action: 'remove' | 'relax',
  id: string,
  known: readonly string[],
): string {
  return `no rule '${id}' to ${action}; known ids: ${known.join(', ')}`;
}

/** A scenario's intervention breaks a hard plausibility rule. */
export function interventionBreaksRuleMessage(conflict: string): string {
  return `the intervention ${conflict}; change it, or relax the rule in the scenario's "rules"`;
}

/** `trajsim rules DIR` on something that is neither a timeline nor a model folder. */
export function notRulesSourceMessage(
  dir: string,
  timelineFile: string,
  modelFile: string,
): string {
  return `${dir} is neither a timeline directory (${timelineFile}) nor a model folder (${modelFile})`;
}

/** A model folder without rules.json (it samples without rules). */
export function noModelRulesMessage(dir: string, file: string): string {
  return `${dir} has no ${file}: its model samples without rules (write one with: trajsim rules DATA --out ${dir})`;
}
