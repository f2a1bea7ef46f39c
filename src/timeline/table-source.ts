import { existsSync, readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { DataType, type Table, tableFromIPC } from 'apache-arrow';
import { formatIsoDay } from '../core/days.js';
import { TrajsimError } from '../core/errors.js';
import { arrowNonFinite } from '../core/messages.js';
import { checkArrowColumnType, columnarRecords } from './columnar-source.js';
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
  if (format === 'parquet') {
    yield* columnarRecords(path, format);
    return;
  }
  if (!existsSync(path)) throw new TrajsimError('IO', `file not found: ${path}`);
  let table: Table;
  try {
    table = tableFromIPC(readFileSync(path));
  } catch (cause) {
    throw new TrajsimError(
      'INVALID_INPUT',
      `not a readable Arrow IPC file (${(cause as Error).message})`,
      {
        file: basename(path),
        cause,
      },
    );
  }
  const fields = table.schema.fields;
  const file = basename(path);
  for (const f of fields) checkArrowColumnType(f.name, f.type, file);
  yield { fields: fields.map((f) => f.name), line: 1 };
  const columns = fields.map((f) => {
    const vec = table.getChild(f.name)!;
    const isDate = DataType.isDate(f.type);
    const isTimestamp = DataType.isTimestamp(f.type);
    const isFloat = DataType.isFloat(f.type);
    return (i: number): string => {
      const v = vec.get(i) as unknown;
      if (v === null || v === undefined) return '';
      if (isFloat && !Number.isFinite(v as number)) {
        throw new TrajsimError('INVALID_INPUT', arrowNonFinite(String(v)), {
          file,
          line: i + 2,
          field: f.name,
        });
      }
      if (isDate || isTimestamp) {
        const ms = v instanceof Date ? v.getTime() : Number(v);
        return formatIsoDay(Math.floor(ms / 86_400_000));
      }
      if (typeof v === 'number' || typeof v === 'bigint') return String(v);
      return String(v);
    };
  });
  for (let i = 0; i < table.numRows; i++) {
    yield { fields: columns.map((c) => c(i)), line: i + 2 };
  }
}

// --- f18-robustness: Arrow column types are checked on read (issue 18 #3, #21) ---
// (checkArrowColumnType lives in columnar-source.ts, beside the columnar reader that also uses it.)
