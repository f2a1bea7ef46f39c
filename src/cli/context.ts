import { formatDuration } from '../core/format.js';
import type { Logger } from '../core/messages.js';

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
      process.stderr.write(`warning [${code}]: ${message}\n`);
    },
    info(_code, message) {
      if (!options.quiet) process.stderr.write(`${message}\n`);
    },
    progress(label, done, total, detail) {
      if (options.quiet) return;
      const now = performance.now();
      if (!starts.has(label)) starts.set(label, now);
      const finished = Number.isFinite(total) && done >= total;
      if (!finished && now - lastDraw < (isTty ? 100 : 5000)) return;
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
