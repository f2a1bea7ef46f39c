import type { Command } from 'commander';
import { formatDuration } from '../core/format.js';
import type { Logger } from '../core/messages.js';
import { terminalSafe } from '../core/terminal-text.js';

/** A CLI command module: adds its subcommand to the program. */
export type RegisterCommand = (program: Command, context: CliContext) => void;

const EXIT_CODE_KEY = '__exitCode';

/**
 * Lets a command set the process exit code without throwing (e.g. 1 for a failed gate).
 *
 * @param command - the running subcommand
 * @param code - the exit code
 * @example
 * setExitCode(command, 1) // runCli then returns 1
 */
export function setExitCode(command: Command, code: number): void {
  command.setOptionValue(EXIT_CODE_KEY, code);
}

/**
 * The exit code a command set with {@link setExitCode}, if any.
 *
 * @example
 * exitCodeOf(command) // => 1 after setExitCode(command, 1)
 */
export function exitCodeOf(command: Command): number | undefined {
  return command.getOptionValue(EXIT_CODE_KEY) as number | undefined;
}

/**
 * What every CLI command gets: a logger writing to stderr and output helpers. Commands are
 * thin: parse flags, call the library, print.
 */
export interface CliContext {
  readonly logger: Logger;
  /** Prints a line to stdout (results). */
  out(line: string): void;
  /** Prints a line to stderr (progress, notes). */
  note(line: string): void;
}

/** The stderr logger of the CLI, with a one-line progress display (rate and ETA) on a TTY. */
export function createCliContext(options: { quiet?: boolean } = {}): CliContext {
  const isTty = process.stderr.isTTY === true;
  const starts = new Map<string, number>();
  let lastDraw = 0;
  const logger: Logger = {
    warn(code, message) {
      process.stderr.write(`warning [${code}]: ${terminalSafe(message)}\n`);
    },
    info(_code, message) {
      if (!options.quiet) process.stderr.write(`${message}\n`);
    },
    progress(label, done, total, detail) {
      if (options.quiet) return;
      const now = performance.now();
      // the first line of each task always shows (what started, how big); then at most one
      // line per 100 ms on a TTY and per 5 s in a log
      const first = !starts.has(label);
      if (first) starts.set(label, now);
      const finished = Number.isFinite(total) && done >= total;
      if (!first && !finished && now - lastDraw < (isTty ? 100 : 5000)) return;
      lastDraw = now;
      const elapsed = (now - starts.get(label)!) / 1000;
      const rate = elapsed > 0 ? done / elapsed : 0;
      const pct =
        Number.isFinite(total) && total > 0 ? ` ${((100 * done) / total).toFixed(1)}%` : '';
      const eta =
        Number.isFinite(total) && rate > 0 ? ` ETA ${formatDuration((total - done) / rate)}` : '';
      const shownRate = elapsed >= 0.05 ? ` (${Math.round(rate).toLocaleString('en-US')}/s)` : '';
      const line = `${label}: ${done.toLocaleString('en-US')}${Number.isFinite(total) ? `/${total.toLocaleString('en-US')}` : ''}${pct}${shownRate}${eta}${detail ? ` ${detail}` : ''}`;
      process.stderr.write(isTty ? `\r\x1b[K${line}${finished ? '\n' : ''}` : `${line}\n`);
    },
  };
  return {
    logger,
    out: (line) => process.stdout.write(`${line}\n`),
    note: (line) => {
      if (!options.quiet) process.stderr.write(`${line}\n`);
    },
  };
}
