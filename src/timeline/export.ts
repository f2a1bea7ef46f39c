import { createWriteStream, writeFileSync } from 'node:fs';
import { AtomicDir, describeIoError } from '../core/atomic-output.js';
import { formatIsoDay } from '../core/days.js';
import { TrajsimError } from '../core/errors.js';
import type { Logger } from '../core/messages.js';
import { writeTimelineParquet } from './export-parquet.js';
import { EXPORT_SIDECAR, escapeFormula, escapeLevel, exportSidecarText } from './export-sidecar.js';
import { readTimeline } from './read.js';

export interface ExportOptions {
  /** `csv` (default) or `parquet` (patients.parquet, events.parquet with Arrow types). */
  readonly format?: 'csv' | 'parquet';
  /** Add a `date` column (index_date + day, YYYY-MM-DD) to events.csv (default true). */
  readonly dates?: boolean;
  readonly overwrite?: boolean;
  /** Told about stale temporaries removed. */
  readonly logger?: Logger;
}

/**
 * Quotes a CSV field when it holds a comma, quote or line break (RFC 4180).
 *
 * @example
 * csvField('plain') // => 'plain'
 * csvField('a,b') // => '"a,b"'
 * csvField('say "hi"') // => '"say ""hi"""'
 */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Shortest text that reads back to the same float64 (JS number to string); NaN → empty. */
function numberField(value: number): string {
  if (Object.is(value, -0)) return '-0';
  return Number.isNaN(value) ? '' : String(value);
}

/** A text cell: formula-escaped (export-sidecar.ts), then CSV-quoted. */
function textField(text: string): string {
  return csvField(escapeFormula(text));
}

/**
 * Writes lines to `path` through a buffer of about 1 MiB; `write` returns a promise to await
 * when the stream asks to drain (backpressure), so memory stays flat whatever the size.
 */
async function writeLines(
  path: string,
  produce: (write: (line: string) => Promise<void> | undefined) => Promise<void>,
): Promise<void> {
  const stream = createWriteStream(path);
  // A write error (disk full, permission denied) rejects; it must never be an unhandled event.
  let failure: Error | undefined;
  const failed = new Promise<never>((_, reject) =>
    stream.on('error', (error) => {
      failure = error;
      reject(error);
    }),
  );
  failed.catch(() => {});
  const pending: string[] = [];
  let size = 0;
  const write = (line: string): Promise<void> | undefined => {
    pending.push(line);
    size += line.length;
    if (size <= 1 << 20) return undefined;
    const chunk = pending.join('');
    pending.length = 0;
    size = 0;
    if (failure) throw failure;
    if (stream.write(chunk)) return undefined;
    return Promise.race([new Promise<void>((r) => stream.once('drain', () => r())), failed]);
  };
  await produce(write);
  if (pending.length) stream.write(pending.join(''));
  await Promise.race([
    new Promise<void>((resolve, reject) => {
      stream.end((err?: Error | null) => (err ? reject(err) : resolve()));
    }),
    failed,
  ]);
  if (failure) throw failure;
}

/**
 * Exports a timeline directory as `patients.csv` and `events.csv` (the import format), or with
 * `format: 'parquet'` as `patients.parquet` and `events.parquet` (same columns, Arrow types), written
 * atomically into `out`. Numbers are written in their shortest round-trip form, missing values
 * as empty fields, so export → import reproduces the same timeline.
 *
 * @example
 * await exportTimeline('out/colon', 'out/colon-csv') // writes out/colon-csv/{patients,events}.csv
 */
export async function exportTimeline(
  dir: string,
  out: string,
  options: ExportOptions = {},
): Promise<void> {
  const t = await readTimeline(dir);
  const withDates = options.dates ?? true;
  const target = AtomicDir.create(out, {
    overwrite: options.overwrite ?? false,
    kind: 'export',
    inputs: [dir],
    ...(options.logger ? { logger: options.logger } : {}),
  });
  try {
    const attrs = t.patients.attributes;
    if (options.format === 'parquet') {
      await writeTimelineParquet(
        t,
        target.file('patients.parquet'),
        target.file('events.parquet'),
        withDates,
      );
      target.commit();
      return;
    }
    await writeLines(target.file('patients.csv'), async (write) => {
      await write(
        `${['patient_id', 'index_date', ...attrs.map((a) => a.name)].map(csvField).join(',')}\n`,
      );
      for (let p = 0; p < t.patients.ids.length; p++) {
        let line = `${textField(t.patients.ids[p]!)},${formatIsoDay(t.patients.indexDay[p]!)}`;
        for (const a of attrs) {
          line += ',';
          if (a.kind === 'categorical') {
            const c = a.codes[p]!;
            line += c < 0 ? '' : csvField(escapeLevel(a.levels[c]!));
          } else line += numberField(a.values[p]!);
        }
        await write(`${line}\n`);
      }
    });
    const codes = t.events.codes.map(textField);
    await writeLines(target.file('events.csv'), async (write) => {
      await write(withDates ? 'patient_id,day,code,value,date\n' : 'patient_id,day,code,value\n');
      for (let p = 0; p < t.patients.ids.length; p++) {
        const id = textField(t.patients.ids[p]!);
        const indexDay = t.patients.indexDay[p]!;
        for (let i = t.offsets[p]!; i < t.offsets[p + 1]!; i++) {
          const day = t.events.day[i]!;
          let line = `${id},${day},${codes[t.events.code[i]!]},${numberField(t.events.value[i]!)}`;
          if (withDates) line += `,${formatIsoDay(indexDay + day)}`;
          const drained = write(`${line}\n`);
          if (drained) await drained;
        }
      }
    });
    writeFileSync(target.file(EXPORT_SIDECAR), exportSidecarText(attrs));
    target.commit();
  } catch (cause) {
    target.abort();
    if (cause instanceof TrajsimError) throw cause;
    throw new TrajsimError('IO', `cannot write the export: ${describeIoError(cause)}`, {
      file: out,
      cause,
    });
  }
}
