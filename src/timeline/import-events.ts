import { basename } from 'node:path';
import { formatIsoDay, MAX_EPOCH_DAY } from '../core/days.js';
import { TrajsimError } from '../core/errors.js';
import { GrowableColumn } from '../core/growable.js';
import { ignoredColumns, type Logger, MESSAGES, tooManyCodes } from '../core/messages.js';
import {
  type ColumnarFormat,
  numberCells,
  readColumnarBatches,
  stringCells,
} from './columnar-source.js';
import type { CsvRecord } from './csv-reader.js';
import type { PatientsRead } from './import-patients.js';
import {
  INTEGER,
  int32s,
  MAX_DAY,
  MAX_DISTINCT_CODES,
  MISSING_TOKENS,
  openColumnar,
  openTable,
  parseNumber,
  type ReadOptions,
} from './import-table.js';
import { tableFormatOf } from './table-source.js';
import { isTerminalCode } from './types.js';

// The events table of import.ts: each row checked against its patient, in file order.

/** The events table, read and checked row by row, in file order. */
export interface EventsRead {
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
export async function readEvents(
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
  const { accept, track } = eventAcceptor(options, patients, events);
  const columns: EventColumns = { idCol, dayCol, codeCol, valueCol };
  if (records) await readEventRecords(records, columns, file, accept);
  else await readEventBatches(options.events, format as ColumnarFormat, columns, file, accept);
  checkEveryPatientEnds(options, patients, events, track);
  return events;
}

/** Per patient: what the row checks of eventAcceptor remember (rows in patients-file order). */
interface PatientTrack {
  readonly lastDay: Int32Array;
  readonly lastLine: Int32Array;
  readonly terminalCode: Int32Array;
  readonly lastCode: Int32Array;
}

/** Checks one event (as read from its row) against its patient and appends it. */
type AcceptEvent = (
  id: string,
  day: number,
  dayText: string | undefined,
  code: string,
  value: number,
  line: number,
) => void;

/** Column indices of the events table (`valueCol` -1 when there is no value column). */
interface EventColumns {
  readonly idCol: number;
  readonly dayCol: number;
  readonly codeCol: number;
  readonly valueCol: number;
}

/**
 * The check-and-append function every events format ends in (a known patient, a non-empty code
 * within MAX_DISTINCT_CODES, a date within the calendar, nothing after a terminal event, days
 * sorted within a patient), and the per-patient record it keeps for checkEveryPatientEnds.
 */
function eventAcceptor(
  options: ReadOptions,
  patients: PatientsRead,
  events: EventsRead,
): { accept: AcceptEvent; track: PatientTrack } {
  const nP = patients.ids.length;
  const { file, codeNames, counts } = events;
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
  const accept: AcceptEvent = (id, day, dayText, code, value, line) => {
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
  return { accept, track: { lastDay, lastLine, terminalCode, lastCode } };
}

/** The CSV events rows: day and value parsed from text, then accepted. */
async function readEventRecords(
  records: AsyncGenerator<CsvRecord>,
  columns: EventColumns,
  file: string,
  accept: AcceptEvent,
): Promise<void> {
  const { idCol, dayCol, codeCol, valueCol } = columns;
  for await (const { fields, line } of records) {
    const dayText = fields[dayCol]!.trim();
    const day = parseEventDay(dayText, file, line);
    const value = valueCol >= 0 ? parseEventValue(fields[valueCol]!, file, line) : Number.NaN;
    accept(fields[idCol]!, day, dayText, fields[codeCol]!, value, line);
  }
}

/** The Arrow/Parquet events rows: numeric day and value cells taken as numbers when valid. */
async function readEventBatches(
  path: string,
  format: ColumnarFormat,
  columns: EventColumns,
  file: string,
  accept: AcceptEvent,
): Promise<void> {
  const { idCol, dayCol, codeCol, valueCol } = columns;
  let line = 1;
  for await (const batch of readColumnarBatches(path, format)) {
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

/** After the last row: every patient has events, and its last one is terminal. */
function checkEveryPatientEnds(
  options: ReadOptions,
  patients: PatientsRead,
  events: EventsRead,
  track: PatientTrack,
): void {
  const nP = patients.ids.length;
  const { file, codeNames, counts } = events;
  const { lastDay, lastLine, terminalCode, lastCode } = track;
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
}
