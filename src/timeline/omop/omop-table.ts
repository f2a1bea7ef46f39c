import { writeFileSync } from 'node:fs';
import {
  type Data,
  DateDay,
  Field,
  Float64,
  Int32,
  makeData,
  type RecordBatch,
  Schema,
  Utf8,
} from 'apache-arrow';
import { formatIsoDay } from '../../core/days.js';
import { GrowableColumn } from '../../core/growable.js';
import { nullBitmap, recordBatchOf } from '../arrow-schema.js';
import { csvField } from '../export.js';
import { PARQUET_ROW_GROUP_ROWS, writeParquetBatches } from '../parquet.js';

// One OMOP CDM table being written by export-omop.ts, held by columns, and its two file forms:
// CSV (the CDM's text form) and Parquet (typed: ids and concepts Int32, dates Date32, values
// Float64, source values Utf8; a missing cell is null).

/** Formats an OMOP export writes its tables in. */
export const OMOP_FORMATS = ['csv', 'parquet'] as const;
export type OmopFormat = (typeof OMOP_FORMATS)[number];

/** The kind of an OMOP column, from its name. */
type ColumnKind = 'int' | 'float' | 'date' | 'string';

/** An OMOP cell: a number (a date is its epoch day; NaN = missing) or a string ('' = missing). */
export type OmopCell = number | string;

function kindOf(name: string): ColumnKind {
  if (name.endsWith('_date')) return 'date';
  if (name === 'value_as_number' || name === 'trajsim_value') return 'float';
  if (name.endsWith('_source_value') || name === 'value_as_string') return 'string';
  return 'int';
}

type Column =
  | { kind: 'int' | 'date'; cells: GrowableColumn<Int32Array>; missing: GrowableColumn<Uint8Array> }
  | { kind: 'float'; cells: GrowableColumn<Float64Array> }
  | { kind: 'string'; cells: string[] };

/**
 * An OMOP table held by columns while an export fills it.
 *
 * @example
 * const t = new OmopTable('person_id,death_date,death_type_concept_id,trajsim_seq');
 * t.push([1, 19000, 32817, 3]);
 * t.rows // => 1
 */
export class OmopTable {
  readonly names: readonly string[];
  private readonly columns: Column[];
  rows = 0;

  /** @param header - the CSV header: column names joined by commas. */
  constructor(header: string) {
    this.names = header.split(',');
    this.columns = this.names.map((name): Column => {
      const kind = kindOf(name);
      if (kind === 'float') return { kind, cells: new GrowableColumn((n) => new Float64Array(n)) };
      if (kind === 'string') return { kind, cells: [] };
      return {
        kind,
        cells: new GrowableColumn((n) => new Int32Array(n)),
        missing: new GrowableColumn((n) => new Uint8Array(n)),
      };
    });
  }

  /** Appends a row, one cell per column (a number for int/float/date columns, else a string). */
  push(cells: readonly OmopCell[]): void {
    this.columns.forEach((c, k) => {
      const v = cells[k]!;
      if (c.kind === 'string') c.cells.push(String(v));
      else if (c.kind === 'float') c.cells.push(Number(v));
      else {
        const missing = typeof v !== 'number' || Number.isNaN(v);
        c.cells.push(missing ? 0 : v);
        c.missing.push(missing ? 1 : 0);
      }
    });
    this.rows++;
  }

  /** Sets the int or date cell of column `name` in `row`. */
  setNumber(row: number, name: string, value: number): void {
    const c = this.columns[this.names.indexOf(name)]!;
    if (c.kind === 'int' || c.kind === 'date') {
      c.cells.data[row] = value;
      c.missing.data[row] = 0;
    }
  }

  /** The table as CSV text: the header, then one line per row. */
  toCsv(): string {
    const lines: string[] = [this.names.join(',')];
    for (let r = 0; r < this.rows; r++)
      lines.push(this.columns.map((c) => csvCell(c, r)).join(','));
    return `${lines.join('\n')}\n`;
  }

  /** The rows `from` until `to` as one Arrow record batch (nullable typed columns). */
  toBatch(from = 0, to = this.rows): RecordBatch {
    const n = to - from;
    const fields = this.columns.map((c, k) => new Field(this.names[k]!, arrowType(c.kind), true));
    const encoder = new TextEncoder();
    const children = this.columns.map((c): Data => {
      if (c.kind === 'string') {
        const texts = c.cells.slice(from, to);
        const bytes = texts.map((t) => encoder.encode(t));
        const offsets = new Int32Array(n + 1);
        for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + bytes[i]!.length;
        const data = new Uint8Array(offsets[n]!);
        for (let i = 0; i < n; i++) data.set(bytes[i]!, offsets[i]!);
        const nulls = validity(n, (i) => texts[i] === '');
        return makeData({ type: new Utf8(), length: n, valueOffsets: offsets, data, ...nulls });
      }
      if (c.kind === 'float') {
        const data = c.cells.data.slice(from, to);
        const nulls = validity(n, (i) => Number.isNaN(data[i]!));
        return makeData({ type: new Float64(), length: n, data, ...nulls });
      }
      const data = c.cells.data.slice(from, to);
      const missing = c.missing.data.subarray(from, to);
      const nulls = validity(n, (i) => missing[i] === 1);
      return c.kind === 'date'
        ? makeData({ type: new DateDay(), length: n, data, ...nulls })
        : makeData({ type: new Int32(), length: n, data, ...nulls });
    });
    return recordBatchOf(new Schema(fields), n, children);
  }

  /** Writes the table to `path` as CSV or Parquet (row groups of PARQUET_ROW_GROUP_ROWS rows). */
  async write(path: string, format: OmopFormat): Promise<void> {
    if (format === 'csv') {
      writeFileSync(path, this.toCsv());
      return;
    }
    const table = this;
    function* batches(): Generator<RecordBatch> {
      if (table.rows === 0) yield table.toBatch();
      for (let from = 0; from < table.rows; from += PARQUET_ROW_GROUP_ROWS)
        yield table.toBatch(from, Math.min(table.rows, from + PARQUET_ROW_GROUP_ROWS));
    }
    await writeParquetBatches(path, batches());
  }
}

function arrowType(kind: ColumnKind) {
  if (kind === 'date') return new DateDay();
  if (kind === 'float') return new Float64();
  if (kind === 'string') return new Utf8();
  return new Int32();
}

/** The null count and validity bitmap (when any is null) of `n` rows where `isNull`. */
function validity(n: number, isNull: (i: number) => boolean) {
  const { bitmap, nullCount } = nullBitmap(n, isNull);
  return bitmap ? { nullCount, nullBitmap: bitmap } : { nullCount };
}

/** One CSV cell: numbers as shortest round-trip text, dates as YYYY-MM-DD, missing as ''. */
function csvCell(c: Column, r: number): string {
  if (c.kind === 'string') return csvField(c.cells[r]!);
  if (c.kind === 'float') {
    const v = c.cells.data[r]!;
    return Number.isNaN(v) ? '' : String(v);
  }
  if (c.missing.data[r] === 1) return '';
  const v = c.cells.data[r]!;
  return c.kind === 'date' ? formatIsoDay(v) : String(v);
}
