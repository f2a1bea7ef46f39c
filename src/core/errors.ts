/**
 * The one error class of trajsim. Every failure a user can cause is a `TrajsimError` with a
 * code from {@link ERROR_CODES} and, where it applies, the file, line, column (field) and a
 * message that says what was found and what was expected.
 */
export const ERROR_CODES = {
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  INVALID_INPUT: 'INVALID_INPUT',
  IO: 'IO',
  MODEL: 'MODEL',
  SCENARIO: 'SCENARIO',
  INFEASIBLE: 'INFEASIBLE',
  BACKEND: 'BACKEND',
  /** Not enough memory or another resource for what was asked. */
  RESOURCE: 'RESOURCE',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** Where in an input a problem was found. Lines are 1-based and count the header line. */
export interface ErrorLocation {
  readonly file?: string;
  readonly line?: number;
  readonly field?: string;
}

export interface TrajsimErrorOptions extends ErrorLocation {
  readonly cause?: unknown;
}

/**
 * An error with a stable code and an optional location.
 *
 * @example
 * new TrajsimError('INVALID_INPUT', 'day is negative (-3); expected an integer >= 0',
 *   { file: 'events.csv', line: 12, field: 'day' }).message
 * // => "events.csv:12: day: day is negative (-3); expected an integer >= 0"
 */
export class TrajsimError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly field: string | undefined;
  /** The message without the location prefix. */
  readonly reason: string;

  constructor(code: ErrorCode, reason: string, options: TrajsimErrorOptions = {}) {
    super(
      formatLocated(reason, options),
      options.cause === undefined ? {} : { cause: options.cause },
    );
    this.name = 'TrajsimError';
    this.code = code;
    this.file = options.file;
    this.line = options.line;
    this.field = options.field;
    this.reason = reason;
  }
}

function formatLocated(reason: string, loc: ErrorLocation): string {
  let prefix = '';
  if (loc.file !== undefined) prefix += loc.file;
  if (loc.line !== undefined) prefix += `${prefix ? ':' : 'line '}${loc.line}`;
  if (loc.field !== undefined) prefix += `${prefix ? ': ' : ''}${loc.field}`;
  return prefix ? `${prefix}: ${reason}` : reason;
}

/**
 * Throws an INVALID_ARGUMENT error unless `condition` holds.
 *
 * @example
 * assertArgument(patients > 0, 'patients must be positive') // throws INVALID_ARGUMENT when patients <= 0
 */
export function assertArgument(condition: unknown, message: string): asserts condition {
  if (!condition) throw new TrajsimError('INVALID_ARGUMENT', message);
}
