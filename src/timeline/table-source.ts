import { basename, extname } from 'node:path';
import { TrajsimError } from '../core/errors.js';
import { columnarRecords } from './columnar-source.js';
import { type CsvRecord, readCsv } from './csv-reader.js';

/** Input formats an import accepts, decided by the file extension. */
export const TABLE_FORMATS = { CSV: 'csv', ARROW: 'arrow', PARQUET: 'parquet' } as const;
export type TableFormat = (typeof TABLE_FORMATS)[keyof typeof TABLE_FORMATS];

/**
 * Chooses the reader for `path` from its extension; refuses what it cannot read.
 *
 * @example
 * tableFormatOf('data/patients.csv') // => 'csv'
 * tableFormatOf('events.arrow') // => 'arrow'
 * tableFormatOf('events.parquet') // => 'parquet'
 */
export function tableFormatOf(path: string): TableFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv' || ext === '.txt') return 'csv';
  if (ext === '.arrow' || ext === '.feather' || ext === '.ipc') return 'arrow';
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  throw new TrajsimError(
    'INVALID_ARGUMENT',
    `${basename(path)}: unknown extension '${ext}'; expected .csv, .arrow or .parquet`,
  );
}

/**
 * Rows of a CSV or Arrow IPC table as strings, header first, so one strict validator serves
 * both. For Arrow, `line` is the 1-based data row + 1 (as if the schema were a header line),
 * dates are written as YYYY-MM-DD and nulls as empty strings.
 *
 * @example
 * for await (const record of readTableRecords('data/colon/patients.csv')) {
 *   // record.fields: the header first, then each row's strings; record.line: its 1-based line
 * }
 */
export async function* readTableRecords(path: string): AsyncGenerator<CsvRecord> {
  const format = tableFormatOf(path);
  if (format === 'csv') {
    yield* readCsv(path);
    return;
  }
  // Arrow and Parquet: by columns, with the column-type and finite-value checks there
  yield* columnarRecords(path, format);
}
