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

// --- r-core ---

/**
 * Message: a stale temporary folder of a killed run was removed.
 *
 * @param path - the temporary folder
 * @param pid - the process that had created it
 * @example
 * staleTemporaryRemoved('/out/.colon.tmp-42-1', 42) // => 'removed /out/.colon.tmp-42-1, ...'
 */
export function staleTemporaryRemoved(path: string, pid: number): string {
  return `removed ${path}, a temporary left by an interrupted run (process ${pid})`;
}

/**
 * Message: the previous output, moved aside by a commit that was killed half-way, was put back.
 *
 * @param path - the output folder
 * @param pid - the process whose commit was interrupted
 * @example
 * previousOutputRestored('/out/colon', 42) // => 'restored /out/colon from ...'
 */
export function previousOutputRestored(path: string, pid: number): string {
  return `restored ${path} from a commit interrupted in process ${pid}`;
}

/**
 * Message: the run was stopped by a signal; its temporary output was removed.
 *
 * @param signal - 'SIGINT' or 'SIGTERM'
 * @param removed - number of temporary outputs removed
 * @example
 * interruptedBySignal('SIGTERM', 1) // => 'trajsim: stopped by SIGTERM; removed 1 unfinished output folder ...'
 */
export function interruptedBySignal(signal: string, removed: number): string {
  return `trajsim: stopped by ${signal}; removed ${removed} unfinished output folder${removed === 1 ? '' : 's'} (checkpoints of --resume runs are kept)`;
}
