import { basename } from 'node:path';
import { TrajsimError } from '../core/errors.js';
import { GrowableColumn } from '../core/growable.js';
import { ignoredColumns, type Logger, MESSAGES } from '../core/messages.js';
import type { ColumnarFormat } from './columnar-source.js';
import type { CsvRecord } from './csv-reader.js';
import {
  EventAcceptor,
  type EventColumns,
  type EventsRead,
  parseEventDay,
  parseEventValue,
} from './event-acceptor.js';
import { readEventBatches } from './import-event-columns.js';
import type { PatientsRead } from './import-patients.js';
import { int32s, openColumnar, openTable, type ReadOptions } from './import-table.js';
import { tableFormatOf } from './table-source.js';

// The events table of import.ts: each row checked against its patient, in file order (the
// checks in event-acceptor.ts; Arrow and Parquet tables read by columns in import-event-columns.ts).

export type { EventsRead } from './event-acceptor.js';

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
  const acceptor = new EventAcceptor(options, patients, events);
  const columns: EventColumns = { idCol, dayCol, codeCol, valueCol };
  if (records) await readEventRecords(records, columns, file, acceptor);
  else await readEventBatches(options.events, format as ColumnarFormat, columns, file, acceptor);
  checkEveryPatientEnds(options, patients, events, acceptor);
  return events;
}

/** The CSV events rows: day and value parsed from text, then accepted. */
async function readEventRecords(
  records: AsyncGenerator<CsvRecord>,
  columns: EventColumns,
  file: string,
  acceptor: EventAcceptor,
): Promise<void> {
  const { idCol, dayCol, codeCol, valueCol } = columns;
  for await (const { fields, line } of records) {
    const dayText = fields[dayCol]!.trim();
    const day = parseEventDay(dayText, file, line);
    const value = valueCol >= 0 ? parseEventValue(fields[valueCol]!, file, line) : Number.NaN;
    acceptor.accept(fields[idCol]!, day, dayText, fields[codeCol]!, value, line);
  }
}

/** After the last row: every patient has events, and its last one is terminal. */
function checkEveryPatientEnds(
  options: ReadOptions,
  patients: PatientsRead,
  events: EventsRead,
  track: EventAcceptor,
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
