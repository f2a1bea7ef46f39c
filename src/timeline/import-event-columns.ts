import { DataType, type RecordBatch, type Vector } from 'apache-arrow';
import {
  type ColumnarFormat,
  numberCells,
  readColumnarBatches,
  stringCells,
} from './columnar-source.js';
import {
  type EventAcceptor,
  type EventColumns,
  parseEventDay,
  parseEventValue,
} from './event-acceptor.js';
import { MAX_DAY } from './import-table.js';

// The Arrow/Parquet events table of import-events.ts, read by columns: the common layout
// (Utf8 ids, dictionary codes, Int32 days, Float64 values) goes through typed arrays, each run
// of one patient id and each code level resolved once; any other cell goes through the generic
// cell readers, with the same checks and messages as a CSV row.

/** Reads the Arrow/Parquet events rows into `acceptor`, batch by batch. */
export async function readEventBatches(
  path: string,
  format: ColumnarFormat,
  columns: EventColumns,
  file: string,
  acceptor: EventAcceptor,
): Promise<void> {
  let line = 1;
  for await (const batch of readColumnarBatches(path, format)) {
    const slow = cellReader(batch, columns, file, acceptor);
    const fast = typedColumns(batch, columns);
    if (fast) acceptTyped(fast, batch.numRows, line, acceptor, slow);
    else for (let i = 0; i < batch.numRows; i++) slow(i, line + i + 1);
    line += batch.numRows;
  }
}

/** Accepts row `i` of a batch (file line `line`) from its cells read as numbers or text. */
type RowReader = (i: number, line: number) => void;

/** The generic row reader: numeric day and value cells taken as numbers when valid. */
function cellReader(
  batch: RecordBatch,
  columns: EventColumns,
  file: string,
  acceptor: EventAcceptor,
): RowReader {
  const { idCol, dayCol, codeCol, valueCol } = columns;
  const idAt = stringCells(batch.getChildAt(idCol)!);
  const codeAt = stringCells(batch.getChildAt(codeCol)!);
  const dayVector = batch.getChildAt(dayCol)!;
  const dayNumber = numberCells(dayVector);
  const dayString = stringCells(dayVector);
  const valueVector = valueCol >= 0 ? batch.getChildAt(valueCol)! : undefined;
  const valueNumber = valueVector ? numberCells(valueVector) : undefined;
  const valueString = valueVector ? stringCells(valueVector) : undefined;
  return (i, line) => {
    let day: number;
    let dayText: string | undefined;
    const d = dayNumber ? dayNumber(i) : Number.NaN;
    if (dayNumber && Number.isInteger(d) && d >= 0 && d <= MAX_DAY) {
      day = d;
      dayText = undefined;
    } else {
      dayText = dayString(i).trim();
      day = parseEventDay(dayText, file, line);
    }
    let value = Number.NaN;
    if (valueNumber) {
      value = valueNumber(i);
      if (Number.isNaN(value)) {
        if (valueString!(i) !== '') value = parseEventValue(valueString!(i), file, line);
      } else if (!Number.isFinite(value)) parseEventValue(String(value), file, line);
    } else if (valueString) value = parseEventValue(valueString(i), file, line);
    acceptor.accept(idAt(i), day, dayText, codeAt(i), value, line);
  };
}

/** The typed buffers of a batch in the common layout (one chunk per column). */
interface TypedColumns {
  readonly idOffsets: Int32Array;
  readonly idBytes: Uint8Array;
  readonly idOffset: number;
  readonly idValid: Uint8Array | undefined;
  readonly codeLevels: (string | null)[];
  readonly codeIndices:
    | Int32Array
    | Uint32Array
    | Int16Array
    | Uint16Array
    | Int8Array
    | Uint8Array;
  readonly codeOffset: number;
  readonly codeValid: Uint8Array | undefined;
  readonly days: Int32Array;
  readonly dayOffset: number;
  readonly dayValid: Uint8Array | undefined;
  readonly values: Float64Array | undefined;
  readonly valueOffset: number;
  readonly valueValid: Uint8Array | undefined;
}

const validity = (v: Vector) => (v.data[0]!.nullCount > 0 ? v.data[0]!.nullBitmap : undefined);
const isValidAt = (bitmap: Uint8Array | undefined, k: number) =>
  bitmap === undefined || ((bitmap[k >> 3]! >> (k & 7)) & 1) === 1;

/** The batch's typed buffers when it has the common layout, else undefined. */
function typedColumns(batch: RecordBatch, columns: EventColumns): TypedColumns | undefined {
  const id = batch.getChildAt(columns.idCol)!;
  const code = batch.getChildAt(columns.codeCol)!;
  const day = batch.getChildAt(columns.dayCol)!;
  const value = columns.valueCol >= 0 ? batch.getChildAt(columns.valueCol)! : undefined;
  const single = (v: Vector) => v.data.length === 1;
  if (!(single(id) && DataType.isUtf8(id.type))) return undefined;
  if (!(single(code) && DataType.isDictionary(code.type) && DataType.isUtf8(code.type.dictionary)))
    return undefined;
  if (!(single(day) && DataType.isInt(day.type) && day.type.bitWidth === 32 && day.type.isSigned))
    return undefined;
  if (value && !(single(value) && DataType.isFloat(value.type) && value.type.precision === 2))
    return undefined;
  const codeData = code.data[0]!;
  return {
    idOffsets: id.data[0]!.valueOffsets as Int32Array,
    idBytes: id.data[0]!.values as Uint8Array,
    idOffset: id.data[0]!.offset,
    idValid: validity(id),
    codeLevels: (codeData.dictionary?.toArray() ?? []) as (string | null)[],
    codeIndices: codeData.values as TypedColumns['codeIndices'],
    codeOffset: codeData.offset,
    codeValid: validity(code),
    days: day.data[0]!.values as Int32Array,
    dayOffset: day.data[0]!.offset,
    dayValid: validity(day),
    values: value ? (value.data[0]!.values as Float64Array) : undefined,
    valueOffset: value ? value.data[0]!.offset : 0,
    valueValid: value ? validity(value) : undefined,
  };
}

const decoder = new TextDecoder();

/**
 * Accepts a batch in the common layout: ids compared by bytes with the run before (decoded and
 * looked up once per run), code levels resolved once each; a null id, code or day, or a
 * negative day, goes to `slow` (which reports it as a CSV row would).
 */
function acceptTyped(
  t: TypedColumns,
  rows: number,
  lineBefore: number,
  acceptor: EventAcceptor,
  slow: RowReader,
): void {
  const levelCode = new Int32Array(t.codeLevels.length).fill(-1);
  const ids = acceptor.patientIds;
  let runStart = -1;
  let runEnd = -1;
  let p = -1;
  for (let i = 0; i < rows; i++) {
    const line = lineBefore + i + 1;
    const ki = i + t.idOffset;
    const kc = i + t.codeOffset;
    const kd = i + t.dayOffset;
    const day = t.days[kd]!;
    if (
      !isValidAt(t.idValid, ki) ||
      !isValidAt(t.codeValid, kc) ||
      !isValidAt(t.dayValid, kd) ||
      day < 0
    ) {
      slow(i, line);
      continue;
    }
    const start = t.idOffsets[ki]!;
    const end = t.idOffsets[ki + 1]!;
    if (p < 0 || !sameBytes(t.idBytes, start, end, runStart, runEnd)) {
      // events usually follow the patients table: try the next patient's id before a lookup
      const next = p + 1 < ids.length && isAsciiOf(t.idBytes, start, end, ids[p + 1]!);
      p = next
        ? acceptor.patientRow(ids[p + 1]!, line, p + 1)
        : acceptor.patientRow(decoder.decode(t.idBytes.subarray(start, end)), line);
      runStart = start;
      runEnd = end;
    }
    const level = Number(t.codeIndices[kc]);
    let c = levelCode[level]!;
    if (c < 0) {
      c = acceptor.codeId(t.codeLevels[level] ?? '', line);
      levelCode[level] = c;
    }
    let value = Number.NaN;
    if (t.values) {
      const kv = i + t.valueOffset;
      if (isValidAt(t.valueValid, kv)) value = t.values[kv]!;
    }
    acceptor.acceptResolved(p, c, day, undefined, value, line);
  }
}

/** Whether bytes[from, to) are the ASCII text `text` (false for any non-ASCII text). */
function isAsciiOf(bytes: Uint8Array, from: number, to: number, text: string): boolean {
  if (to - from !== text.length) return false;
  for (let j = 0; j < text.length; j++) if (bytes[from + j] !== text.charCodeAt(j)) return false;
  return true;
}

/** Whether bytes[a0, a1) equal bytes[b0, b1). */
function sameBytes(bytes: Uint8Array, a0: number, a1: number, b0: number, b1: number): boolean {
  if (a1 - a0 !== b1 - b0) return false;
  for (let j = 0; j < a1 - a0; j++) if (bytes[a0 + j] !== bytes[b0 + j]) return false;
  return true;
}
