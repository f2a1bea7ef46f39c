import { existsSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  type Data,
  DataType,
  type Field,
  Precision,
  type RecordBatch,
  RecordBatchReader,
  type Vector,
} from 'apache-arrow';
import { formatIsoDay } from '../core/days.js';
import { TrajsimError } from '../core/errors.js';
import { arrowNonFinite, arrowUnsupportedType } from '../core/messages.js';
import type { CsvRecord } from './csv-reader.js';
import { readParquetBatches } from './parquet.js';

/**
 * Columnar access to Arrow IPC and Parquet tables: record batches, typed cell readers that
 * skip the cell-to-string round trip, and (for the generic validators) string records.
 */

/** Formats read by columns. */
export type ColumnarFormat = 'arrow' | 'parquet';

/**
 * The record batches of an Arrow IPC (file or stream) or Parquet table, in order.
 *
 * @param path - the table file.
 * @param format - 'arrow' or 'parquet'.
 * @throws TrajsimError IO when missing; INVALID_INPUT when unreadable.
 * @example
 * for await (const batch of readColumnarBatches('events.parquet', 'parquet')) console.log(batch.numRows)
 */
export async function* readColumnarBatches(
  path: string,
  format: ColumnarFormat,
): AsyncGenerator<RecordBatch> {
  const file = basename(path);
  let rows = 0;
  for await (const batch of readBatches(path, format)) {
    if (rows === 0) for (const f of batch.schema.fields) checkArrowColumnType(f.name, f.type, file);
    checkFinite(batch, rows, file);
    rows += batch.numRows;
    yield batch;
  }
}

/**
 * Refuses NaN and ±Infinity in a floating-point column (a missing value is a null): they would
 * otherwise read as missing or break the numeric attribute (issue 18 #21). Line = row + 2.
 */
function checkFinite(batch: RecordBatch, rowsBefore: number, file: string): void {
  for (const f of batch.schema.fields) {
    if (!DataType.isFloat(f.type)) continue;
    const vector = batch.getChild(f.name)!;
    if (vector.data.length === 1 && vector.type.precision === Precision.DOUBLE) {
      checkFiniteDoubles(vector.data[0]!, rowsBefore, file, f.name);
      continue;
    }
    const cells = numberCells(vector)!;
    const one = vector.data.length === 1 ? vector.data[0]! : undefined;
    const valid = one && one.nullCount > 0 ? one.nullBitmap : undefined;
    const offset = one ? one.offset : 0;
    const isValid = one
      ? (i: number) =>
          valid === undefined || ((valid[(i + offset) >> 3]! >> ((i + offset) & 7)) & 1) === 1
      : (i: number) => vector.isValid(i);
    for (let i = 0; i < batch.numRows; i++) {
      const v = cells(i);
      if (!Number.isFinite(v) && isValid(i)) {
        throw new TrajsimError('INVALID_INPUT', arrowNonFinite(String(v)), {
          file,
          line: rowsBefore + i + 2,
          field: f.name,
        });
      }
    }
  }
}

/** checkFinite for one Float64 chunk: its values read in place, the validity bitmap only at a non-finite value. */
function checkFiniteDoubles(data: Data, rowsBefore: number, file: string, field: string): void {
  const values = data.values as Float64Array;
  const valid = data.nullCount > 0 ? data.nullBitmap : undefined;
  const offset = data.offset;
  for (let i = 0; i < data.length; i++) {
    const v = values[i + offset]!;
    if (v - v === 0) continue; // finite
    const k = i + offset;
    if (valid && !((valid[k >> 3]! >> (k & 7)) & 1)) continue;
    throw new TrajsimError('INVALID_INPUT', arrowNonFinite(String(v)), {
      file,
      line: rowsBefore + i + 2,
      field,
    });
  }
}

async function* readBatches(path: string, format: ColumnarFormat): AsyncGenerator<RecordBatch> {
  if (format === 'parquet') {
    yield* readParquetBatches(path);
    return;
  }
  if (!existsSync(path)) throw new TrajsimError('IO', `file not found: ${path}`);
  let reader: RecordBatchReader;
  try {
    reader = RecordBatchReader.from(readFileSync(path)) as RecordBatchReader;
    reader.open();
  } catch (cause) {
    throw new TrajsimError(
      'INVALID_INPUT',
      `not a readable Arrow IPC file (${(cause as Error).message})`,
      { file: basename(path), cause },
    );
  }
  while (true) {
    let next: IteratorResult<RecordBatch>;
    try {
      next = reader.next() as IteratorResult<RecordBatch>;
    } catch (cause) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `not a readable Arrow IPC file (${(cause as Error).message})`,
        { file: basename(path), cause },
      );
    }
    if (next.done) return;
    yield next.value;
  }
}

/**
 * The fields of a columnar table (its schema; empty for an empty Parquet file): each name and
 * whether the column is dictionary-encoded (a categorical column).
 *
 * @example
 * await columnarFields('events.parquet', 'parquet')
 * // => [{ name: 'patient_id', dictionary: false }, ..., { name: 'code', dictionary: true }, ...]
 */
export async function columnarFields(
  path: string,
  format: ColumnarFormat,
): Promise<{ name: string; dictionary: boolean }[]> {
  const describe = (fields: readonly Field[]) =>
    fields.map((f) => ({ name: f.name, dictionary: DataType.isDictionary(f.type) }));
  if (format === 'arrow') {
    if (!existsSync(path)) throw new TrajsimError('IO', `file not found: ${path}`);
    // the schema only: an IPC file's footer or a stream's first message, not the whole file
    const handle = await open(path);
    try {
      const reader = await RecordBatchReader.from(handle);
      await reader.open();
      return describe(reader.schema.fields);
    } catch (cause) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `not a readable Arrow IPC file (${(cause as Error).message})`,
        { file: basename(path), cause },
      );
    } finally {
      await handle.close();
    }
  }
  for await (const batch of readParquetBatches(path)) return describe(batch.schema.fields);
  return [];
}

/**
 * The field names of a columnar table (empty for an empty Parquet file).
 *
 * @example
 * await columnarHeader('events.parquet', 'parquet') // => ['patient_id', 'day', 'code', 'value']
 */
export async function columnarHeader(path: string, format: ColumnarFormat): Promise<string[]> {
  return (await columnarFields(path, format)).map((f) => f.name);
}

const decoder = new TextDecoder();

/**
 * A reader of a column's cells as strings ('' for null), fast for Utf8 (runs of equal values
 * decode once) and dictionaries (each level decodes once); dates as YYYY-MM-DD.
 *
 * @example
 * const at = stringCells(batch.getChild('code')!); at(0) // => 'DIAGNOSIS'
 */
export function stringCells(vector: Vector): (i: number) => string {
  const type = vector.type;
  if (DataType.isDictionary(type) && vector.data.length === 1) {
    const data = vector.data[0]!;
    const levels = (data.dictionary?.toArray() ?? []) as (string | null)[];
    const texts = levels.map((l) => (l === null || l === undefined ? '' : String(l)));
    const indices = data.values as ArrayLike<number>;
    const valid = data.nullCount > 0 ? data.nullBitmap : undefined;
    const offset = data.offset;
    return (i) => {
      const k = i + offset;
      if (valid && !((valid[k >> 3]! >> (k & 7)) & 1)) return '';
      return texts[Number(indices[k])] ?? '';
    };
  }
  if (DataType.isUtf8(type) && vector.data.length === 1) {
    const data = vector.data[0]!;
    const offsets = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    const valid = data.nullCount > 0 ? data.nullBitmap : undefined;
    const offset = data.offset;
    let prevStart = -1;
    let prevEnd = -1;
    let prev = '';
    return (i) => {
      const k = i + offset;
      if (valid && !((valid[k >> 3]! >> (k & 7)) & 1)) return '';
      const start = offsets[k]!;
      const end = offsets[k + 1]!;
      if (end - start === prevEnd - prevStart) {
        let same = true;
        for (let j = 0; j < end - start; j++) {
          if (bytes[start + j] !== bytes[prevStart + j]) {
            same = false;
            break;
          }
        }
        if (same) return prev;
      }
      prevStart = start;
      prevEnd = end;
      prev = decoder.decode(bytes.subarray(start, end));
      return prev;
    };
  }
  const isDate = DataType.isDate(type) || DataType.isTimestamp(type);
  return (i) => {
    const v = vector.get(i) as unknown;
    if (v === null || v === undefined) return '';
    if (isDate) {
      const ms = v instanceof Date ? v.getTime() : Number(v);
      return formatIsoDay(Math.floor(ms / 86_400_000));
    }
    return String(v);
  };
}

/**
 * A reader of a numeric column's cells as numbers (NaN for null), or undefined when the column
 * is not numeric (read it with {@link stringCells}). Int64 cells convert to the nearest double.
 *
 * @example
 * numberCells(batch.getChild('day')!)?.(0) // => 0
 */
export function numberCells(vector: Vector): ((i: number) => number) | undefined {
  const type = vector.type;
  if (!(DataType.isInt(type) || DataType.isFloat(type))) return undefined;
  if (vector.data.length !== 1 || (DataType.isFloat(type) && type.precision === 0)) {
    return (i) => {
      const v = vector.get(i) as unknown;
      return v === null || v === undefined ? Number.NaN : Number(v);
    };
  }
  const data = vector.data[0]!;
  const values = data.values as ArrayLike<number | bigint>;
  const valid = data.nullCount > 0 ? data.nullBitmap : undefined;
  const offset = data.offset;
  return (i) => {
    const k = i + offset;
    if (valid && !((valid[k >> 3]! >> (k & 7)) & 1)) return Number.NaN;
    return Number(values[k]);
  };
}

/**
 * String records of a columnar table, header first (line 1), then each row (line = row + 2),
 * as the CSV reader yields them, so one validator serves every format.
 *
 * @example
 * for await (const record of columnarRecords('patients.parquet', 'parquet')) { ... }
 */
export async function* columnarRecords(
  path: string,
  format: ColumnarFormat,
): AsyncGenerator<CsvRecord> {
  let line = 1;
  let headerSent = false;
  for await (const batch of readColumnarBatches(path, format)) {
    const fields = batch.schema.fields;
    if (!headerSent) {
      yield { fields: fields.map((f) => f.name), line: 1 };
      headerSent = true;
    }
    const cells = fields.map((_, c) => stringCells(batch.getChildAt(c)!));
    for (let i = 0; i < batch.numRows; i++) {
      yield { fields: cells.map((at) => at(i)), line: ++line };
    }
  }
  if (!headerSent) {
    const header = await columnarHeader(path, format);
    if (header.length > 0) yield { fields: header, line: 1 };
  }
}

/**
 * Refuses an Arrow column whose type the importer cannot read as text faithfully: anything
 * but Utf8, Int, Float, Bool, Date, Timestamp, Null or a dictionary of those (Binary would be
 * read as raw bytes: "60" -> "54,48").
 *
 * @param name - the column name.
 * @param type - its Arrow type.
 * @param file - the file name, for the error.
 * @throws TrajsimError INVALID_INPUT naming the file and column.
 * @example
 * checkArrowColumnType('age', new Binary(), 'patients.arrow') // throws: age: Arrow type Binary ...
 */
export function checkArrowColumnType(name: string, type: DataType, file: string): void {
  const inner = DataType.isDictionary(type) ? type.dictionary : type;
  const ok =
    DataType.isUtf8(inner) ||
    DataType.isLargeUtf8(inner) ||
    DataType.isInt(inner) ||
    DataType.isFloat(inner) ||
    DataType.isBool(inner) ||
    DataType.isDate(inner) ||
    DataType.isTimestamp(inner) ||
    DataType.isNull(inner);
  if (!ok) {
    throw new TrajsimError('INVALID_INPUT', arrowUnsupportedType(String(type)), {
      file,
      line: 1,
      field: name,
    });
  }
}
