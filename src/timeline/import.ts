import { basename } from 'node:path';
import { DataType, DateUnit } from 'apache-arrow';
import { checkOutputDir } from '../core/atomic-output.js';
import { compareCodeUnits } from '../core/compare.js';
import { formatIsoDay, isEpochDayInRange, MAX_EPOCH_DAY, parseIsoDay } from '../core/days.js';
import { TrajsimError } from '../core/errors.js';
import { GrowableColumn } from '../core/growable.js';
import {
  ignoredColumns,
  type Logger,
  MESSAGES,
  SILENT_LOGGER,
  tooManyCodes,
} from '../core/messages.js';
import {
  type ColumnarFormat,
  columnarFields,
  columnarHeader,
  numberCells,
  readColumnarBatches,
  stringCells,
} from './columnar-source.js';
import type { CsvRecord } from './csv-reader.js';
import {
  type ExportSidecar,
  readEscapedLevel,
  readExportSidecar,
  unescapeFormula,
} from './export-sidecar.js';
import { readTableRecords, tableFormatOf } from './table-source.js';
import { type AttributeSpec, isTerminalCode, type TimelineManifest } from './types.js';
import { TimelineWriter } from './writer.js';

export interface ImportOptions {
  /** patients.csv or .arrow: patient_id, index_date, then attribute columns. */
  readonly patients: string;
  /** events.csv or .arrow: patient_id, day, code, value (optional); a `date` column is ignored. */
  readonly events: string;
  /** Output timeline directory (written atomically). */
  readonly out: string;
  /** Dataset name for timeline.json (default: the output directory's name). */
  readonly name?: string;
  /** Attribute columns to treat as categorical even if every value is a number. */
  readonly categorical?: readonly string[];
  /** Attribute columns that must be numeric (a non-number is an error). */
  readonly numeric?: readonly string[];
  readonly overwrite?: boolean;
  readonly logger?: Logger;
}

/** Values read as missing in attribute and value columns. */
export const MISSING_TOKENS: ReadonlySet<string> = new Set(['', 'NA']);
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;
const MAX_DAY = 2_147_483_647;
/**
 * Most distinct event codes an import accepts (docs/limits.md): the model and validation hold
 * code-by-code tables, so a vocabulary past this size would exhaust memory later.
 */
export const MAX_DISTINCT_CODES = 10_000;
/** A column is "meant to be numeric" when at least this share of its values are numbers. */
const NUMERIC_SHARE_FOR_TYPE_ERROR = 0.9;

/** Parses a finite decimal number; NaN if the text is not one. */
function parseNumber(text: string): number {
  return NUMBER.test(text) ? Number(text) : Number.NaN;
}

const int32s = (n: number) => new Int32Array(n);

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
async function openTable(
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
async function openColumnar(path: string, format: ColumnarFormat, required: readonly string[]) {
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

interface PatientsRead {
  readonly ids: string[];
  readonly idRow: Map<string, number>;
  readonly lines: Int32Array;
  readonly indexDay: Int32Array;
  readonly attributes: AttributeSpec[];
  readonly attributeValues: (Int32Array | Float64Array)[];
}

/** Import options with the export sidecar, when the inputs are a trajsim export. */
type ReadOptions = ImportOptions & { readonly sidecar?: ExportSidecar | undefined };

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

async function readPatients(given: ReadOptions): Promise<PatientsRead> {
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
  for (const name of [...(options.categorical ?? []), ...(options.numeric ?? [])]) {
    if (!attrNames.includes(name)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `--categorical/--numeric names '${name}', which is not an attribute column of ${file} (${attrNames.join(', ') || 'none'})`,
      );
    }
  }
  const attrCols = attrNames.map((n) => index.get(n)!);
  const raw: string[][] = attrNames.map(() => []);
  const ids: string[] = [];
  const idRow = new Map<string, number>();
  const lines = new GrowableColumn(int32s);
  const days = new GrowableColumn(int32s);
  for await (const { fields, line } of records) {
    const id = fields[idCol]!;
    if (id === '')
      throw new TrajsimError('INVALID_INPUT', 'patient_id is empty', {
        file,
        line,
        field: 'patient_id',
      });
    const previous = idRow.get(id);
    if (previous !== undefined) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `patient_id '${id}' is a duplicate (first on line ${lines.data[previous]}); patient ids must be unique`,
        { file, line, field: 'patient_id' },
      );
    }
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
    idRow.set(id, ids.length);
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
  return {
    ids,
    idRow,
    lines: lines.data.slice(0, ids.length),
    indexDay: days.data.slice(0, ids.length),
    attributes,
    attributeValues,
  };
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
  for (const name of [...(options.categorical ?? []), ...(options.numeric ?? [])]) {
    if (!attrNames.includes(name)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `--categorical/--numeric names '${name}', which is not an attribute column of ${file} (${attrNames.join(', ') || 'none'})`,
      );
    }
  }
  const attrCols = attrNames.map((n) => index.get(n)!);
  const rawText: string[][] = attrNames.map(() => []);
  const rawNumber: number[][] = attrNames.map(() => []);
  /** Per attribute: read as numbers (a numeric Arrow type, not declared categorical). */
  let asNumber: boolean[] | undefined;
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
    for (let i = 0; i < batch.numRows; i++) {
      line++;
      const id = idAt(i);
      if (id === '')
        throw new TrajsimError('INVALID_INPUT', 'patient_id is empty', {
          file,
          line,
          field: 'patient_id',
        });
      const previous = idRow.get(id);
      if (previous !== undefined) {
        throw new TrajsimError(
          'INVALID_INPUT',
          `patient_id '${id}' is a duplicate (first on line ${lines.data[previous]}); patient ids must be unique`,
          { file, line, field: 'patient_id' },
        );
      }
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
      idRow.set(id, ids.length);
      ids.push(id);
      lines.push(line);
      days.push(day);
      for (let a = 0; a < attrCols.length; a++) {
        if (asNumber[a]) rawNumber[a]!.push(numberAt[a]!(i));
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
    const { spec, column } = encodeAttribute(name, rawText[a]!, lines.data, file, options);
    attributes.push(spec);
    attributeValues.push(column);
  });
  return {
    ids,
    idRow,
    lines: lines.data.slice(0, ids.length),
    indexDay: days.data.slice(0, ids.length),
    attributes,
    attributeValues,
  };
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

export { compareCodeUnits } from '../core/compare.js';

/** The events table, read and checked row by row, in file order. */
interface EventsRead {
  readonly file: string;
  readonly patient: GrowableColumn<Int32Array>;
  readonly day: GrowableColumn<Int32Array>;
  readonly code: GrowableColumn<Int32Array>;
  readonly value: GrowableColumn<Float64Array>;
  /** Codes in order of first appearance (`code` indexes them). */
  readonly codeNames: string[];
  /** Events per patient row. */
  readonly counts: Int32Array;
}

/** Parses an event's day: an integer in 0..MAX_DAY. Throws INVALID_INPUT naming the row. */
function parseEventDay(text: string, file: string, line: number): number {
  const dayText = text.trim();
  if (!INTEGER.test(dayText)) {
    throw new TrajsimError(
      'INVALID_INPUT',
      dayText === ''
        ? 'day is empty; expected an integer >= 0'
        : `day '${dayText}' is not an integer number of days`,
      { file, line, field: 'day' },
    );
  }
  const day = Number(dayText);
  if (day < 0) {
    throw new TrajsimError(
      'INVALID_INPUT',
      `day ${dayText} is negative; days count from index_date and must be >= 0`,
      { file, line, field: 'day' },
    );
  }
  if (day > MAX_DAY) {
    throw new TrajsimError('INVALID_INPUT', `day ${dayText} is too large (max ${MAX_DAY})`, {
      file,
      line,
      field: 'day',
    });
  }
  return day;
}

/** Parses an event's optional value (NaN when missing). Throws INVALID_INPUT for a non-number. */
function parseEventValue(text: string, file: string, line: number): number {
  const trimmed = text.trim();
  if (MISSING_TOKENS.has(trimmed)) return Number.NaN;
  const value = parseNumber(trimmed);
  if (!Number.isFinite(value)) {
    throw new TrajsimError(
      'INVALID_INPUT',
      `value '${trimmed}' is not a finite number (empty or NA means missing)`,
      { file, line, field: 'value' },
    );
  }
  return value;
}

/**
 * Reads the events table and checks each row against its patient: a known patient, a valid
 * day within the calendar, days sorted within a patient, exactly one terminal event and
 * nothing after it; then that every patient has events and ends with a terminal one.
 */
async function readEvents(
  options: ReadOptions,
  patients: PatientsRead,
  logger: Logger,
): Promise<EventsRead> {
  const nP = patients.ids.length;
  const format = tableFormatOf(options.events);
  const required = ['patient_id', 'day', 'code'];
  const { file, records, index } =
    format === 'csv'
      ? await openTable(options.events, required, options.sidecar?.escapedColumns.events)
      : await openColumnar(options.events, format, required);
  const known = new Set(['patient_id', 'day', 'code', 'value', 'date']);
  const extra = [...index.keys()].filter((k) => !known.has(k));
  if (extra.length > 0) logger.warn(MESSAGES.IGNORED_COLUMNS, ignoredColumns(file, extra));
  const idCol = index.get('patient_id')!;
  const dayCol = index.get('day')!;
  const codeCol = index.get('code')!;
  const valueCol = index.get('value') ?? -1;

  const events: EventsRead = {
    file,
    patient: new GrowableColumn(int32s, 4096),
    day: new GrowableColumn(int32s, 4096),
    code: new GrowableColumn(int32s, 4096),
    value: new GrowableColumn((n) => new Float64Array(n), 4096),
    codeNames: [],
    counts: new Int32Array(nP),
  };
  const { codeNames, counts } = events;
  const codeIndex = new Map<string, number>();
  const terminalCodeIds = new Set<number>();
  const lastDay = new Int32Array(nP).fill(-1);
  const lastLine = new Int32Array(nP);
  const terminalLine = new Int32Array(nP);
  const terminalCode = new Int32Array(nP).fill(-1);
  const lastCode = new Int32Array(nP).fill(-1);

  let lastId = '';
  let lastP = -1;
  let lastCodeText = '';
  let lastC = -1;
  /** Checks one event against its patient and appends it (every format ends here). */
  const accept = (
    id: string,
    day: number,
    dayText: string | undefined,
    code: string,
    value: number,
    line: number,
  ) => {
    let p = lastP;
    if (id !== lastId || p < 0) {
      const found = patients.idRow.get(id);
      if (found === undefined) {
        throw new TrajsimError('INVALID_INPUT', `'${id}' is not in ${basename(options.patients)}`, {
          file,
          line,
          field: 'patient_id',
        });
      }
      p = found;
      lastId = id;
      lastP = p;
    }
    let c = lastC >= 0 && code === lastCodeText ? lastC : codeIndex.get(code);
    if (c === undefined) {
      if (code.trim() === '')
        throw new TrajsimError('INVALID_INPUT', 'code is empty', { file, line, field: 'code' });
      if (codeNames.length >= MAX_DISTINCT_CODES) {
        throw new TrajsimError('RESOURCE', tooManyCodes(MAX_DISTINCT_CODES), {
          file,
          line,
          field: 'code',
        });
      }
      c = codeNames.length;
      codeIndex.set(code, c);
      codeNames.push(code);
      if (isTerminalCode(code)) terminalCodeIds.add(c);
    }
    lastCodeText = code;
    lastC = c;
    if (patients.indexDay[p]! + day > MAX_EPOCH_DAY) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `day ${dayText ?? day} after index_date ${formatIsoDay(patients.indexDay[p]!)} falls after 9999-12-31; dates must stay within 0001-01-01..9999-12-31`,
        { file, line, field: 'day' },
      );
    }
    if (terminalCode[p]! >= 0) {
      if (terminalCodeIds.has(c)) {
        throw new TrajsimError(
          'INVALID_INPUT',
          `patient ${id} has a second terminal event ${code} on day ${day} (first: ${codeNames[terminalCode[p]!]} on day ${lastDay[p]}, line ${terminalLine[p]}); exactly one terminal event is allowed`,
          { file, line },
        );
      }
      throw new TrajsimError(
        'INVALID_INPUT',
        `patient ${id} has an event (${code}) on day ${day} after its terminal ${codeNames[terminalCode[p]!]} on day ${lastDay[p]} (line ${terminalLine[p]}); nothing may follow a terminal event`,
        { file, line },
      );
    }
    if (day < lastDay[p]!) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `patient ${id}: day ${day} comes after day ${lastDay[p]} (line ${lastLine[p]}); events must be sorted by day within a patient`,
        { file, line, field: 'day' },
      );
    }
    if (terminalCodeIds.has(c)) {
      terminalCode[p] = c;
      terminalLine[p] = line;
    }
    lastDay[p] = day;
    lastLine[p] = line;
    lastCode[p] = c;
    counts[p]!++;
    events.patient.push(p);
    events.day.push(day);
    events.code.push(c);
    events.value.push(value);
  };
  if (records) {
    for await (const { fields, line } of records) {
      const dayText = fields[dayCol]!.trim();
      const day = parseEventDay(dayText, file, line);
      const value = valueCol >= 0 ? parseEventValue(fields[valueCol]!, file, line) : Number.NaN;
      accept(fields[idCol]!, day, dayText, fields[codeCol]!, value, line);
    }
  } else {
    let line = 1;
    for await (const batch of readColumnarBatches(options.events, format as ColumnarFormat)) {
      const idAt = stringCells(batch.getChildAt(idCol)!);
      const codeAt = stringCells(batch.getChildAt(codeCol)!);
      const dayVector = batch.getChildAt(dayCol)!;
      const dayNumber = numberCells(dayVector);
      const dayString = stringCells(dayVector);
      const valueVector = valueCol >= 0 ? batch.getChildAt(valueCol)! : undefined;
      const valueNumber = valueVector ? numberCells(valueVector) : undefined;
      const valueString = valueVector ? stringCells(valueVector) : undefined;
      for (let i = 0; i < batch.numRows; i++) {
        line++;
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
        accept(idAt(i), day, dayText, codeAt(i), value, line);
      }
    }
  }
  for (let p = 0; p < nP; p++) {
    if (counts[p] === 0) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `patient ${patients.ids[p]} has no events in ${file}; every patient needs at least a terminal DEATH or END_OF_FOLLOWUP`,
        { file: basename(options.patients), line: patients.lines[p]! },
      );
    }
    if (terminalCode[p]! < 0) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `patient ${patients.ids[p]} has no terminal event: its last event is ${codeNames[lastCode[p]!]} on day ${lastDay[p]}; expected DEATH or END_OF_FOLLOWUP last`,
        { file, line: lastLine[p]! },
      );
    }
  }
  return events;
}

/**
 * Writes the checked tables as a timeline directory: codes in code-unit order, events grouped
 * by patient (a stable counting sort keeps each patient's file order).
 */
async function writeImported(
  options: ImportOptions,
  patients: PatientsRead,
  events: EventsRead,
  logger: Logger,
): Promise<TimelineManifest> {
  const nP = patients.ids.length;
  const { codeNames, counts } = events;
  const sortedCodes = [...codeNames].sort(compareCodeUnits);
  const sortedIndex = new Map(sortedCodes.map((name, i) => [name, i]));
  const remap = new Int32Array(codeNames.length);
  codeNames.forEach((name, i) => {
    remap[i] = sortedIndex.get(name)!;
  });
  const nE = events.patient.length;
  const start = new Int32Array(nP + 1);
  for (let p = 0; p < nP; p++) start[p + 1] = start[p]! + counts[p]!;
  const order = new Int32Array(nE);
  const fill = start.slice(0, nP);
  for (let i = 0; i < nE; i++) order[fill[events.patient.data[i]!]!++] = i;

  const writer = await TimelineWriter.create(options.out, {
    name: options.name ?? basename(options.out),
    source: `import of ${basename(options.patients)} + ${basename(options.events)}`,
    attributes: patients.attributes,
    codes: sortedCodes,
    overwrite: options.overwrite ?? false,
    inputs: [options.patients, options.events],
    logger,
  });
  try {
    const attrRow = new Float64Array(patients.attributes.length);
    for (let p = 0; p < nP; p++) {
      for (let a = 0; a < attrRow.length; a++) attrRow[a] = patients.attributeValues[a]![p]!;
      writer.addPatient(patients.ids[p]!, patients.indexDay[p]!, attrRow);
      for (let k = start[p]!; k < start[p + 1]!; k++) {
        const i = order[k]!;
        writer.addEvent(events.day.data[i]!, remap[events.code.data[i]!]!, events.value.data[i]!);
      }
      if ((p & 4095) === 4095) await writer.commit();
    }
    return await writer.close();
  } catch (cause) {
    await writer.abort();
    throw cause;
  }
}

/**
 * Imports a timeline from patients and events tables (CSV or Arrow IPC), checking every
 * invariant of the timeline contract, and writes `patients.arrow`, `events.arrow` and
 * `timeline.json` into `out` atomically. Columns are matched by name. Attribute kinds are
 * inferred (a column whose present values are all numbers is numeric; else categorical;
 * missing = empty or `NA`) unless named in `categorical` / `numeric`.
 *
 * Invariants (the first violation is thrown as INVALID_INPUT with file, line and field; nothing
 * is written): header has the required columns, no duplicate or empty column names, every row
 * has as many fields as the header; patient ids non-empty and unique; index_date a real
 * calendar date; an attribute meant to be numeric holds only numbers, all finite; every event's
 * patient exists; `day` an integer, >= 0, within Int32; `code` non-empty; `value` empty, NA or a
 * finite number; days non-decreasing within a patient in file order; nothing after a terminal
 * event; every patient has events and its last one is exactly one terminal code (DEATH or
 * END_OF_FOLLOWUP). Events of a patient need not be contiguous in the file: they are grouped
 * (stably) in patients-file order.
 *
 * @example
 * await importTimeline({ patients: 'data/colon/patients.csv', events: 'data/colon/events.csv', out: 'out/colon' })
 * // => manifest with counts { patients: 929, events: 3255, deaths: 452, censored: 477 }
 */
export async function importTimeline(options: ImportOptions): Promise<TimelineManifest> {
  const logger = options.logger ?? SILENT_LOGGER;
  checkOutputDir(options.out, {
    overwrite: options.overwrite ?? false,
    kind: 'timeline',
    inputs: [options.patients, options.events],
  });
  const sidecar = readExportSidecar(options.patients, options.events);
  const kindsOf = (kind: 'categorical' | 'numeric') =>
    sidecar?.attributes.filter((a) => a.kind === kind).map((a) => a.name) ?? [];
  const read: ReadOptions = sidecar
    ? {
        ...options,
        sidecar,
        categorical: options.categorical ?? kindsOf('categorical'),
        numeric: options.numeric ?? kindsOf('numeric'),
      }
    : options;
  const patients = await readPatients(read);
  const events = await readEvents(read, patients, logger);
  return writeImported(options, patients, events, logger);
}
