import { basename } from 'node:path';
import { checkOutputDir } from '../core/atomic-output.js';
import { compareCodeUnits } from '../core/compare.js';
import { type Logger, SILENT_LOGGER } from '../core/messages.js';
import { readExportSidecar } from './export-sidecar.js';
import { type EventsRead, readEvents } from './import-events.js';
import { type PatientsRead, readPatients } from './import-patients.js';
import type { ReadOptions } from './import-table.js';
import type { TimelineManifest } from './types.js';
import { TimelineWriter } from './writer.js';

// The import pipeline: import-patients.ts reads the patients table, import-events.ts the events
// (both on the shared table rules of import-table.ts); this file writes the timeline.

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

export { compareCodeUnits } from '../core/compare.js';
export { MAX_DISTINCT_CODES, MISSING_TOKENS } from './import-table.js';

/**
 * The event columns grouped by patient (patients-file order, each patient's file order kept)
 * with codes remapped: the read columns themselves when the file was already grouped (the
 * usual case: a stable sort is then the identity; `events.code` is then remapped in place),
 * else gathered by a counting sort.
 */
function groupedByPatient(
  events: EventsRead,
  start: Int32Array,
  remap: Int32Array,
): { day: Int32Array; code: Int32Array; value: Float64Array } {
  const nE = events.patient.length;
  const rowPatient = events.patient.data;
  let grouped = true;
  for (let i = 1; i < nE && grouped; i++) grouped = rowPatient[i]! >= rowPatient[i - 1]!;
  if (grouped) {
    const code = events.code.data.subarray(0, nE);
    for (let i = 0; i < nE; i++) code[i] = remap[code[i]!]!;
    return { day: events.day.data, code, value: events.value.data };
  }
  const day = new Int32Array(nE);
  const code = new Int32Array(nE);
  const value = new Float64Array(nE);
  const fill = start.slice(0, start.length - 1);
  for (let i = 0; i < nE; i++) {
    const k = fill[rowPatient[i]!]!++;
    day[k] = events.day.data[i]!;
    code[k] = remap[events.code.data[i]!]!;
    value[k] = events.value.data[i]!;
  }
  return { day, code, value };
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
  const start = new Int32Array(nP + 1);
  for (let p = 0; p < nP; p++) start[p + 1] = start[p]! + counts[p]!;
  const { day, code, value } = groupedByPatient(events, start, remap);
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
      writer.addEvents(day, code, value, start[p]!, start[p + 1]!);
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
