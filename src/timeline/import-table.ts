import { basename } from 'node:path';
import { TrajsimError } from '../core/errors.js';
import { type ColumnarFormat, columnarHeader } from './columnar-source.js';
import type { CsvRecord } from './csv-reader.js';
import { type ExportSidecar, unescapeFormula } from './export-sidecar.js';
import type { ImportOptions } from './import.js';
import { readTableRecords } from './table-source.js';

// Shared by the patients and events readers of import.ts: the table opening, header and row
// checks, and the text rules for numbers and missing values.

/** Values read as missing in attribute and value columns. */
export const MISSING_TOKENS: ReadonlySet<string> = new Set(['', 'NA']);
export const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
export const INTEGER = /^[+-]?\d+$/;
export const MAX_DAY = 2_147_483_647;
/**
 * Most distinct event codes an import accepts (docs/limits.md): the model and validation hold
 * code-by-code tables, so a vocabulary past this size would exhaust memory later.
 */
export const MAX_DISTINCT_CODES = 10_000;

/** Parses a finite decimal number; NaN if the text is not one. */
export function parseNumber(text: string): number {
  return NUMBER.test(text) ? Number(text) : Number.NaN;
}

export const int32s = (n: number) => new Int32Array(n);

function headerIndex(header: readonly string[], file: string): Map<string, number> {
  const index = new Map<string, number>();
  header.forEach((raw, i) => {
    const name = raw.trim();
    if (name === '') {
      throw new TrajsimError('INVALID_INPUT', `column ${i + 1} has an empty name in the header`, {
        file,
        line: 1,
      });
    }
    if (index.has(name)) {
      throw new TrajsimError('INVALID_INPUT', `column '${name}' appears twice in the header`, {
        file,
        line: 1,
      });
    }
    index.set(name, i);
  });
  return index;
}

function requireColumns(
  index: Map<string, number>,
  required: readonly string[],
  file: string,
): void {
  for (const name of required) {
    if (!index.has(name)) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `missing required column '${name}'; the header has ${[...index.keys()].join(', ')} (columns are matched by name)`,
        { file, line: 1 },
      );
    }
  }
}

/** Opens a table: its records after the header, the header, and column indices by name. */
export async function openTable(
  path: string,
  required: readonly string[],
  escaped: readonly string[] = [],
) {
  const file = basename(path);
  const records = unescapeColumns(readTableRecords(path), escaped);
  const first = await records.next();
  if (first.done) {
    throw new TrajsimError(
      'INVALID_INPUT',
      `file is empty; expected a header line with ${required.join(',')},...`,
      {
        file,
        line: 1,
      },
    );
  }
  const header = first.value.fields;
  const index = headerIndex(header, file);
  requireColumns(index, required, file);
  return { file, records: checkedRows(records, header.length, file), header, index };
}

/** Opens a columnar events table: only its header is read here (the rows go by columns). */
export async function openColumnar(
  path: string,
  format: ColumnarFormat,
  required: readonly string[],
) {
  const file = basename(path);
  const header = await columnarHeader(path, format);
  if (header.length === 0) {
    throw new TrajsimError(
      'INVALID_INPUT',
      `file is empty; expected columns ${required.join(',')},...`,
      {
        file,
        line: 1,
      },
    );
  }
  const index = headerIndex(header, file);
  requireColumns(index, required, file);
  return { file, records: undefined, header, index };
}

/** Reverses the export's formula escape in the named columns (export-sidecar.ts). */
async function* unescapeColumns(
  records: AsyncGenerator<CsvRecord>,
  escaped: readonly string[],
): AsyncGenerator<CsvRecord> {
  if (escaped.length === 0) {
    yield* records;
    return;
  }
  let columns: number[] | undefined;
  for await (const record of records) {
    if (columns === undefined) {
      columns = record.fields.flatMap((h, i) => (escaped.includes(h.trim()) ? [i] : []));
    } else {
      for (const i of columns) {
        const v = record.fields[i];
        if (v !== undefined) record.fields[i] = unescapeFormula(v);
      }
    }
    yield record;
  }
}

/** The records after the header, each checked to have as many fields as the header. */
async function* checkedRows(
  records: AsyncGenerator<CsvRecord>,
  width: number,
  file: string,
): AsyncGenerator<CsvRecord> {
  for await (const record of records) {
    if (record.fields.length !== width) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `row has ${record.fields.length} fields; the header has ${width}`,
        {
          file,
          line: record.line,
        },
      );
    }
    yield record;
  }
}

/** Import options with the export sidecar, when the inputs are a trajsim export. */
export type ReadOptions = ImportOptions & { readonly sidecar?: ExportSidecar | undefined };
