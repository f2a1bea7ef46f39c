import { DataType, DateUnit } from 'apache-arrow';
import { compareCodeUnits } from '../core/compare.js';
import { isEpochDayInRange, parseIsoDay } from '../core/days.js';
import { TrajsimError } from '../core/errors.js';
import { GrowableColumn } from '../core/growable.js';
import {
  type ColumnarFormat,
  columnarFields,
  numberCells,
  readColumnarBatches,
  stringCells,
} from './columnar-source.js';
import { readEscapedLevel } from './export-sidecar.js';
import type { ImportOptions } from './import.js';
import {
  int32s,
  MISSING_TOKENS,
  NUMBER,
  openColumnar,
  openTable,
  type ReadOptions,
} from './import-table.js';
import { tableFormatOf } from './table-source.js';
import { TextCells } from './text-cells.js';
import type { AttributeSpec } from './types.js';

// The patients table of import.ts: ids, index dates and attribute columns with inferred kinds.

/** A column is "meant to be numeric" when at least this share of its values are numbers. */
const NUMERIC_SHARE_FOR_TYPE_ERROR = 0.9;

/** Throws INVALID_ARGUMENT when --categorical/--numeric names a column that is not an attribute. */
function checkAttributeNames(
  options: ImportOptions,
  attrNames: readonly string[],
  file: string,
): void {
  for (const name of [...(options.categorical ?? []), ...(options.numeric ?? [])]) {
    if (!attrNames.includes(name)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `--categorical/--numeric names '${name}', which is not an attribute column of ${file} (${attrNames.join(', ') || 'none'})`,
      );
    }
  }
}

export interface PatientsRead {
  readonly ids: string[];
  readonly idRow: Map<string, number>;
  readonly lines: Int32Array;
  readonly indexDay: Int32Array;
  readonly attributes: AttributeSpec[];
  readonly attributeValues: (Int32Array | Float64Array)[];
}

/**
 * The options with the dictionary-encoded attribute columns of an Arrow or Parquet patients
 * table added to `categorical` (a dictionary is categorical by type), unless named `numeric`.
 */
async function withDictionaryColumns(options: ReadOptions): Promise<ReadOptions> {
  const format = tableFormatOf(options.patients);
  if (format === 'csv') return options;
  const named = new Set([...(options.categorical ?? []), ...(options.numeric ?? [])]);
  const add = (await columnarFields(options.patients, format))
    .filter((f) => f.dictionary && f.name !== 'patient_id' && f.name !== 'index_date')
    .map((f) => f.name)
    .filter((n) => !named.has(n));
  return add.length === 0
    ? options
    : { ...options, categorical: [...(options.categorical ?? []), ...add] };
}

/** Reads and checks the patients table (CSV, Arrow or Parquet). */
export async function readPatients(given: ReadOptions): Promise<PatientsRead> {
  const options = await withDictionaryColumns(given);
  const format = tableFormatOf(options.patients);
  if (format !== 'csv') return readPatientsColumnar(options, format);
  // categorical columns of an export are unescaped per cell in encodeAttribute, where a bare
  // NA or empty cell is missing and an escaped one ('NA, ') is that level
  const escapedLevels = new Set(
    options.sidecar?.attributes.filter((a) => a.kind === 'categorical').map((a) => a.name) ?? [],
  );
  const { file, records, header, index } = await openTable(
    options.patients,
    ['patient_id', 'index_date'],
    options.sidecar?.escapedColumns.patients.filter((c) => !escapedLevels.has(c)),
  );
  const idCol = index.get('patient_id')!;
  const dateCol = index.get('index_date')!;
  const attrNames = header
    .map((h) => h.trim())
    .filter((h) => h !== 'patient_id' && h !== 'index_date');
  checkAttributeNames(options, attrNames, file);
  const attrCols = attrNames.map((n) => index.get(n)!);
  const raw: string[][] = attrNames.map(() => []);
  const ids: string[] = [];
  const idRow = new Map<string, number>();
  const lines = new GrowableColumn(int32s);
  const days = new GrowableColumn(int32s);
  for await (const { fields, line } of records) {
    const id = fields[idCol]!;
    addPatientId(id, ids, idRow, lines, file, line);
    const dateText = fields[dateCol]!;
    const day = parseIsoDay(dateText);
    if (Number.isNaN(day)) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `'${dateText}' is not a valid date; expected YYYY-MM-DD`,
        {
          file,
          line,
          field: 'index_date',
        },
      );
    }
    ids.push(id);
    lines.push(line);
    days.push(day);
    for (let a = 0; a < attrCols.length; a++) raw[a]!.push(fields[attrCols[a]!]!);
  }
  if (ids.length === 0) {
    throw new TrajsimError('INVALID_INPUT', 'no patients: the file has a header but no rows', {
      file,
      line: 2,
    });
  }
  const attributes: AttributeSpec[] = [];
  const attributeValues: (Int32Array | Float64Array)[] = [];
  attrNames.forEach((name, a) => {
    const values = raw[a]!;
    const { spec, column } = encodeAttribute(
      name,
      values,
      lines.data,
      file,
      options,
      escapedLevels.has(name),
    );
    attributes.push(spec);
    attributeValues.push(column);
  });
  return patientsRead(ids, idRow, lines, days, attributes, attributeValues);
}

/**
 * readPatients for Arrow and Parquet, by columns: Date32 index dates and numeric attribute
 * columns are taken as numbers (no text round trip); other columns go through the same text
 * rules as CSV. Same checks, same messages, line = row + 2.
 */
async function readPatientsColumnar(
  options: ImportOptions,
  format: ColumnarFormat,
): Promise<PatientsRead> {
  const { file, header, index } = await openColumnar(options.patients, format, [
    'patient_id',
    'index_date',
  ]);
  const idCol = index.get('patient_id')!;
  const dateCol = index.get('index_date')!;
  const attrNames = header.filter((h) => h !== 'patient_id' && h !== 'index_date');
  checkAttributeNames(options, attrNames, file);
  const attrCols = attrNames.map((n) => index.get(n)!);
  const rawText: string[][] = attrNames.map(() => []);
  const rawNumber: number[][] = attrNames.map(() => []);
  /** Per attribute: read as numbers (a numeric Arrow type, not declared categorical). */
  let asNumber: boolean[] | undefined;
  /** Per declared-categorical attribute: its cells as indices of their distinct texts. */
  const levelCells = attrNames.map((n) =>
    (options.categorical ?? []).includes(n) ? new TextCells() : undefined,
  );
  const ids: string[] = [];
  const idRow = new Map<string, number>();
  const lines = new GrowableColumn(int32s);
  const days = new GrowableColumn(int32s);
  let line = 1;
  for await (const batch of readColumnarBatches(options.patients, format)) {
    const idAt = stringCells(batch.getChildAt(idCol)!);
    const dateVector = batch.getChildAt(dateCol)!;
    const dateData = dateVector.data.length === 1 ? dateVector.data[0]! : undefined;
    const directDays =
      dateData && DataType.isDate(dateVector.type) && dateVector.type.unit === DateUnit.DAY
        ? (dateData.values as Int32Array)
        : undefined;
    const dateValid = dateData && dateData.nullCount > 0 ? dateData.nullBitmap : undefined;
    const dateOffset = dateData?.offset ?? 0;
    const dateText = stringCells(dateVector);
    const vectors = attrCols.map((c) => batch.getChildAt(c)!);
    asNumber ??= vectors.map(
      (v, a) =>
        numberCells(v) !== undefined && !(options.categorical ?? []).includes(attrNames[a]!),
    );
    const numberAt = vectors.map((v) => numberCells(v));
    const textAt = vectors.map((v) => stringCells(v));
    const levelAt = vectors.map((v, a) => levelCells[a]?.reader(v));
    for (let i = 0; i < batch.numRows; i++) {
      line++;
      const id = idAt(i);
      addPatientId(id, ids, idRow, lines, file, line);
      const k = i + dateOffset;
      let day =
        directDays && !(dateValid && !((dateValid[k >> 3]! >> (k & 7)) & 1))
          ? directDays[k]!
          : Number.NaN;
      if (!isEpochDayInRange(day)) day = parseIsoDay(dateText(i));
      if (Number.isNaN(day)) {
        throw new TrajsimError(
          'INVALID_INPUT',
          `'${dateText(i)}' is not a valid date; expected YYYY-MM-DD`,
          { file, line, field: 'index_date' },
        );
      }
      ids.push(id);
      lines.push(line);
      days.push(day);
      for (let a = 0; a < attrCols.length; a++) {
        if (asNumber[a]) rawNumber[a]!.push(numberAt[a]!(i));
        else if (levelAt[a]) levelCells[a]!.push(levelAt[a]!(i));
        else rawText[a]!.push(textAt[a]!(i));
      }
    }
  }
  if (ids.length === 0) {
    throw new TrajsimError('INVALID_INPUT', 'no patients: the file has a header but no rows', {
      file,
      line: 2,
    });
  }
  const attributes: AttributeSpec[] = [];
  const attributeValues: (Int32Array | Float64Array)[] = [];
  attrNames.forEach((name, a) => {
    if (asNumber?.[a]) {
      const column = Float64Array.from(rawNumber[a]!);
      const bad = column.findIndex((v) => !Number.isNaN(v) && !Number.isFinite(v));
      if (bad >= 0) {
        throw new TrajsimError(
          'INVALID_INPUT',
          `value '${column[bad]}' is out of the range of a 64-bit float`,
          { file, line: lines.data[bad]!, field: name },
        );
      }
      attributes.push({ name, kind: 'numeric' });
      attributeValues.push(column);
      return;
    }
    const cells = levelCells[a];
    const { spec, column } = cells
      ? cells.encode(name)
      : encodeAttribute(name, rawText[a]!, lines.data, file, options);
    attributes.push(spec);
    attributeValues.push(column);
  });
  return patientsRead(ids, idRow, lines, days, attributes, attributeValues);
}

function encodeAttribute(
  name: string,
  values: readonly string[],
  lines: Int32Array,
  file: string,
  options: ImportOptions,
  escaped = false,
): { spec: AttributeSpec; column: Int32Array | Float64Array } {
  if (escaped) {
    // a categorical column of a trajsim export (export-sidecar.ts): levels as escaped there
    const cells = values.map(readEscapedLevel);
    const levels = [...new Set(cells.filter((v) => v !== undefined))].sort(compareCodeUnits);
    const levelIndex = new Map(levels.map((l, i) => [l, i]));
    const column = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = cells[i];
      column[i] = v === undefined ? -1 : levelIndex.get(v)!;
    }
    return { spec: { name, kind: 'categorical', levels }, column };
  }
  const forcedCategorical = options.categorical?.includes(name) ?? false;
  const forcedNumeric = options.numeric?.includes(name) ?? false;
  let present = 0;
  let numeric = 0;
  let firstNonNumeric = -1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (MISSING_TOKENS.has(v)) continue;
    present++;
    if (NUMBER.test(v)) {
      if (!Number.isFinite(Number(v)) && !forcedCategorical) {
        throw new TrajsimError(
          'INVALID_INPUT',
          `value '${v}' is out of the range of a 64-bit float`,
          {
            file,
            line: lines[i]!,
            field: name,
          },
        );
      }
      numeric++;
    } else if (firstNonNumeric < 0) firstNonNumeric = i;
  }
  const isNumeric = !forcedCategorical && (forcedNumeric || (present > 0 && numeric === present));
  if (
    !isNumeric &&
    !forcedCategorical &&
    firstNonNumeric >= 0 &&
    present >= 10 &&
    numeric >= NUMERIC_SHARE_FOR_TYPE_ERROR * present
  ) {
    throw new TrajsimError(
      'INVALID_INPUT',
      `'${values[firstNonNumeric]}' is not a number, but ${numeric} of ${present} values of this column are; fix the value, or pass --categorical ${name} if the column is categorical`,
      { file, line: lines[firstNonNumeric]!, field: name },
    );
  }
  if (isNumeric) {
    if (forcedNumeric && firstNonNumeric >= 0) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `'${values[firstNonNumeric]}' is not a number (column declared --numeric)`,
        {
          file,
          line: lines[firstNonNumeric]!,
          field: name,
        },
      );
    }
    const column = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      column[i] = MISSING_TOKENS.has(v) ? Number.NaN : Number(v);
    }
    return { spec: { name, kind: 'numeric' }, column };
  }
  const levels = [...new Set(values.filter((v) => !MISSING_TOKENS.has(v)))].sort(compareCodeUnits);
  const levelIndex = new Map(levels.map((l, i) => [l, i]));
  const column = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) column[i] = levelIndex.get(values[i]!) ?? -1;
  return { spec: { name, kind: 'categorical', levels }, column };
}

/**
 * Maps a new patient id to its row (`ids.length`: the caller pushes it next), refusing an empty
 * or repeated id (every format's patients reader calls this; one map operation per id).
 * `lines` holds the line of each id already read, by row.
 */
function addPatientId(
  id: string,
  ids: readonly string[],
  idRow: Map<string, number>,
  lines: GrowableColumn<Int32Array>,
  file: string,
  line: number,
): void {
  if (id === '')
    throw new TrajsimError('INVALID_INPUT', 'patient_id is empty', {
      file,
      line,
      field: 'patient_id',
    });
  const size = idRow.size;
  idRow.set(id, ids.length);
  if (idRow.size === size) {
    const previous = ids.indexOf(id);
    throw new TrajsimError(
      'INVALID_INPUT',
      `patient_id '${id}' is a duplicate (first on line ${lines.data[previous]}); patient ids must be unique`,
      { file, line, field: 'patient_id' },
    );
  }
}

/** The read patients table, its growable line and index-day columns cut to the patients read. */
function patientsRead(
  ids: string[],
  idRow: Map<string, number>,
  lines: GrowableColumn<Int32Array>,
  days: GrowableColumn<Int32Array>,
  attributes: AttributeSpec[],
  attributeValues: (Int32Array | Float64Array)[],
): PatientsRead {
  return {
    ids,
    idRow,
    lines: lines.data.slice(0, ids.length),
    indexDay: days.data.slice(0, ids.length),
    attributes,
    attributeValues,
  };
}
