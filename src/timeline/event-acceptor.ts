import { basename } from 'node:path';
import { formatIsoDay, MAX_EPOCH_DAY } from '../core/days.js';
import { TrajsimError } from '../core/errors.js';
import type { GrowableColumn } from '../core/growable.js';
import { tooManyCodes } from '../core/messages.js';
import type { PatientsRead } from './import-patients.js';
import {
  INTEGER,
  MAX_DAY,
  MAX_DISTINCT_CODES,
  MISSING_TOKENS,
  parseNumber,
  type ReadOptions,
} from './import-table.js';
import { isTerminalCode } from './types.js';

// The row checks of the events table (import-events.ts), shared by the CSV and columnar readers.

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
export function parseEventDay(text: string, file: string, line: number): number {
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
export function parseEventValue(text: string, file: string, line: number): number {
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

/** Column indices of the events table (`valueCol` -1 when there is no value column). */
export interface EventColumns {
  readonly idCol: number;
  readonly dayCol: number;
  readonly codeCol: number;
  readonly valueCol: number;
}

/**
 * The check-and-append step every events format ends in (a known patient, a non-empty code
 * within MAX_DISTINCT_CODES, a date within the calendar, nothing after a terminal event, days
 * sorted within a patient), and the per-patient record it keeps for checkEveryPatientEnds.
 * Patient and code are resolved apart from the row checks, so the columnar reader resolves
 * each run of one patient id and each dictionary level once.
 */
export class EventAcceptor {
  private readonly codeIndex = new Map<string, number>();
  /** 1 for a terminal code's index (codes are at most MAX_DISTINCT_CODES). */
  private readonly terminalCodeIds = new Uint8Array(MAX_DISTINCT_CODES);
  readonly lastDay: Int32Array;
  readonly lastLine: Int32Array;
  private readonly terminalLine: Int32Array;
  readonly terminalCode: Int32Array;
  readonly lastCode: Int32Array;
  private lastId = '';
  private lastP = -1;
  private lastCodeText = '';
  private lastC = -1;

  constructor(
    private readonly options: ReadOptions,
    private readonly patients: PatientsRead,
    private readonly events: EventsRead,
  ) {
    const nP = patients.ids.length;
    this.lastDay = new Int32Array(nP).fill(-1);
    this.lastLine = new Int32Array(nP);
    this.terminalLine = new Int32Array(nP);
    this.terminalCode = new Int32Array(nP).fill(-1);
    this.lastCode = new Int32Array(nP).fill(-1);
  }

  /** Checks one event, as read from its row, against its patient and appends it. */
  accept(
    id: string,
    day: number,
    dayText: string | undefined,
    code: string,
    value: number,
    line: number,
  ): void {
    const p = id === this.lastId && this.lastP >= 0 ? this.lastP : this.patientRow(id, line);
    const c = this.lastC >= 0 && code === this.lastCodeText ? this.lastC : this.codeId(code, line);
    this.lastCodeText = code;
    this.lastC = c;
    this.acceptResolved(p, c, day, dayText, value, line);
  }

  /** The patient ids, by row of the patients table. */
  get patientIds(): readonly string[] {
    return this.patients.ids;
  }

  /**
   * The patients-table row of `id` (`known`: the caller's row for it, taken without a lookup).
   * Throws INVALID_INPUT when it is not there.
   */
  patientRow(id: string, line: number, known?: number): number {
    const found = known ?? this.patients.idRow.get(id);
    if (found === undefined) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `'${id}' is not in ${basename(this.options.patients)}`,
        { file: this.events.file, line, field: 'patient_id' },
      );
    }
    this.lastId = id;
    this.lastP = found;
    return found;
  }

  /** The code's index in order of first appearance, added when new. */
  codeId(code: string, line: number): number {
    const known = this.codeIndex.get(code);
    if (known !== undefined) return known;
    const { file, codeNames } = this.events;
    if (code.trim() === '')
      throw new TrajsimError('INVALID_INPUT', 'code is empty', { file, line, field: 'code' });
    if (codeNames.length >= MAX_DISTINCT_CODES) {
      throw new TrajsimError('RESOURCE', tooManyCodes(MAX_DISTINCT_CODES), {
        file,
        line,
        field: 'code',
      });
    }
    const c = codeNames.length;
    this.codeIndex.set(code, c);
    codeNames.push(code);
    if (isTerminalCode(code)) this.terminalCodeIds[c] = 1;
    return c;
  }

  /** The row checks on a resolved patient row `p` and code `c`, then the append. */
  acceptResolved(
    p: number,
    c: number,
    day: number,
    dayText: string | undefined,
    value: number,
    line: number,
  ): void {
    const { file } = this.events;
    const { lastDay, terminalCode } = this;
    if (this.patients.indexDay[p]! + day > MAX_EPOCH_DAY) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `day ${dayText ?? day} after index_date ${formatIsoDay(this.patients.indexDay[p]!)} falls after 9999-12-31; dates must stay within 0001-01-01..9999-12-31`,
        { file, line, field: 'day' },
      );
    }
    if (terminalCode[p]! >= 0) this.refuseAfterTerminal(p, c, day, line);
    if (day < lastDay[p]!) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `patient ${this.patients.ids[p]}: day ${day} comes after day ${lastDay[p]} (line ${this.lastLine[p]}); events must be sorted by day within a patient`,
        { file, line, field: 'day' },
      );
    }
    if (this.terminalCodeIds[c] === 1) {
      terminalCode[p] = c;
      this.terminalLine[p] = line;
    }
    lastDay[p] = day;
    this.lastLine[p] = line;
    this.lastCode[p] = c;
    this.events.counts[p]!++;
    this.events.patient.push(p);
    this.events.day.push(day);
    this.events.code.push(c);
    this.events.value.push(value);
  }

  /** Throws for an event of patient row `p` after its terminal event. */
  private refuseAfterTerminal(p: number, c: number, day: number, line: number): never {
    const { file, codeNames } = this.events;
    const id = this.patients.ids[p];
    const code = codeNames[c];
    const first = `${codeNames[this.terminalCode[p]!]} on day ${this.lastDay[p]}`;
    if (this.terminalCodeIds[c] === 1) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `patient ${id} has a second terminal event ${code} on day ${day} (first: ${first}, line ${this.terminalLine[p]}); exactly one terminal event is allowed`,
        { file, line },
      );
    }
    throw new TrajsimError(
      'INVALID_INPUT',
      `patient ${id} has an event (${code}) on day ${day} after its terminal ${first} (line ${this.terminalLine[p]}); nothing may follow a terminal event`,
      { file, line },
    );
  }
}
