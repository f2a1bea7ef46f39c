// Over 400 lines on purpose: the streaming Arrow writer is one lifecycle (create -> add
// patients and events in fixed-size record batches with explicit dictionary ids -> close with
// timeline.json and the content hash -> atomic commit, or abort); each method is short.
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import {
  AsyncByteQueue,
  type Data,
  type Dictionary,
  type Int32,
  RecordBatchFileWriter,
  type Schema,
  type Utf8,
  type Vector,
} from 'apache-arrow';
import { AtomicDir } from '../core/atomic-output.js';
import { TrajsimError } from '../core/errors.js';
import type { Logger } from '../core/messages.js';
import {
  dateDayData,
  dictionaryData,
  dictionaryVector,
  eventsSchema,
  float64Data,
  int32Data,
  patientsSchema,
  recordBatchOf,
  utf8Data,
  utf8DataOfEncoded,
} from './arrow-schema.js';
import {
  type AttributeSpec,
  TERMINAL_CODES,
  TIMELINE_FILES,
  type TimelineManifest,
} from './types.js';

export interface TimelineWriterOptions {
  readonly name: string;
  readonly source: string;
  readonly attributes: readonly AttributeSpec[];
  readonly codes: readonly string[];
  /** Replace an existing non-empty output directory (default false: refuse). */
  readonly overwrite?: boolean;
  /** Files and folders the run reads; the output may not be, contain or lie inside any. */
  readonly inputs?: readonly (string | undefined)[];
  /** Told about stale temporaries removed. */
  readonly logger?: Logger;
  /** Rows per Arrow record batch (default 65 536). Output bytes depend on it, not on commit cadence. */
  readonly batchRows?: number;
}

const DEFAULT_BATCH_ROWS = 65_536;
const encoder = new TextEncoder();

/** UTF-8 bytes of `text`; short ASCII (patient ids, mostly) is copied without the encoder. */
function utf8Bytes(text: string): Uint8Array {
  const n = text.length;
  if (n > 64) return encoder.encode(text);
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 127) return encoder.encode(text);
    bytes[i] = c;
  }
  return bytes;
}

/** Arrow sink that writes synchronously to a file descriptor and hashes what it writes. */
class FileSink extends AsyncByteQueue<Uint8Array> {
  constructor(
    private readonly fd: number,
    private readonly hash: Hash,
  ) {
    super();
  }
  override write(value: Uint8Array): void {
    if (value.byteLength === 0) return;
    writeSync(this.fd, value);
    this.hash.update(value);
  }
}

/** Growable column buffers of one table, flushed as fixed-size record batches. */
class ArrowFile {
  private readonly fd: number;
  readonly hash = createHash('sha256');
  private readonly writer: RecordBatchFileWriter;

  constructor(
    path: string,
    readonly schema: Schema,
  ) {
    this.fd = openSync(path, 'w');
    this.writer = new RecordBatchFileWriter();
    this.writer.reset(new FileSink(this.fd, this.hash), schema);
  }

  writeBatch(length: number, children: Data[]): void {
    this.writer.write(recordBatchOf(this.schema, length, children));
  }

  finish(): string {
    this.writer.finish();
    this.writer.close();
    closeSync(this.fd);
    return this.hash.digest('hex');
  }

  closeQuietly(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

/**
 * Streams a timeline directory (patients.arrow, events.arrow, timeline.json) with flat
 * memory. Rows are appended with plain numbers (no per-event objects) and written as Arrow
 * record batches of exactly `batchRows` rows, so the bytes do not depend on how often the
 * caller commits. Everything is written into a temporary directory that is renamed into
 * place by {@link TimelineWriter.close}; {@link TimelineWriter.abort} leaves nothing behind.
 *
 * The writer checks the structural invariants it can see cheaply: days are integers >= 0 and
 * non-decreasing within a patient, nothing follows a terminal code, every patient ends with
 * exactly one terminal code.
 *
 * @example
 * const w = await TimelineWriter.create('out/cohort', { name: 'cohort', source: 'example',
 *   attributes: [{ name: 'stage', kind: 'categorical', levels: ['I', 'II'] }],
 *   codes: ['DIAGNOSIS', 'DEATH', 'END_OF_FOLLOWUP'] });
 * w.addPatient('P1', 18_000, [1]);
 * w.addEvent(0, 0, NaN);
 * w.addEvent(400, 1, NaN);
 * await w.close(); // => manifest with counts { patients: 1, events: 2, deaths: 1, censored: 0 }
 */
export class TimelineWriter {
  private readonly dir: AtomicDir;
  private readonly options: TimelineWriterOptions;
  private readonly batchRows: number;
  private readonly patientsFile: ArrowFile;
  private readonly eventsFile: ArrowFile;
  private readonly dictionaries: Vector<Utf8>[];
  private readonly codeDictionary: Vector<Utf8>;
  private readonly deathCode: number;
  private readonly censorCode: number;

  // patient buffers
  private pIds: Uint8Array[] = [];
  private pIndexDay: Int32Array;
  private pAttrs: (Int32Array | Float64Array)[];
  private pLen = 0;
  // event buffers
  private eIdOffsets: Int32Array;
  private eIdBytes: Uint8Array;
  private eDay: Int32Array;
  private eCode: Int32Array;
  private eValue: Float64Array;
  private eLen = 0;

  private currentId = '';
  private currentIdBytes: Uint8Array = new Uint8Array(0);
  private currentLastDay = -1;
  private currentTerminated = true;
  private currentHasEvents = true;
  private patientCount = 0;
  private eventCount = 0;
  private deaths = 0;
  private censored = 0;
  private finished = false;

  private constructor(dir: AtomicDir, options: TimelineWriterOptions) {
    this.dir = dir;
    this.options = options;
    this.batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
    const n = this.batchRows;
    this.pIndexDay = new Int32Array(n);
    this.pAttrs = options.attributes.map((a) =>
      a.kind === 'categorical' ? new Int32Array(n) : new Float64Array(n),
    );
    this.eIdOffsets = new Int32Array(n + 1);
    this.eIdBytes = new Uint8Array(n * 8);
    this.eDay = new Int32Array(n);
    this.eCode = new Int32Array(n);
    this.eValue = new Float64Array(n);
    this.dictionaries = options.attributes.map((a) =>
      dictionaryVector(a.kind === 'categorical' ? a.levels : []),
    );
    this.codeDictionary = dictionaryVector(options.codes);
    this.deathCode = options.codes.indexOf(TERMINAL_CODES.DEATH);
    this.censorCode = options.codes.indexOf(TERMINAL_CODES.END_OF_FOLLOWUP);
    this.patientsFile = new ArrowFile(
      dir.file(TIMELINE_FILES.PATIENTS),
      patientsSchema(options.attributes),
    );
    this.eventsFile = new ArrowFile(dir.file(TIMELINE_FILES.EVENTS), eventsSchema());
  }

  /** Opens a writer whose output appears at `dir` when closed. Throws IO if `dir` is taken. */
  static async create(dir: string, options: TimelineWriterOptions): Promise<TimelineWriter> {
    if (
      options.codes.indexOf(TERMINAL_CODES.END_OF_FOLLOWUP) < 0 &&
      options.codes.indexOf(TERMINAL_CODES.DEATH) < 0
    ) {
      throw new TrajsimError('INVALID_ARGUMENT', 'codes must include DEATH or END_OF_FOLLOWUP');
    }
    if (new Set(options.codes).size !== options.codes.length) {
      throw new TrajsimError('INVALID_ARGUMENT', 'codes must be unique');
    }
    const atomic = AtomicDir.create(dir, {
      overwrite: options.overwrite ?? false,
      kind: 'timeline',
      ...(options.inputs ? { inputs: options.inputs } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    try {
      return new TimelineWriter(atomic, options);
    } catch (cause) {
      atomic.abort();
      throw cause;
    }
  }

  /** Number of patients added so far. */
  get patients(): number {
    return this.patientCount;
  }

  /**
   * Starts a patient. `attributeValues` follow `options.attributes`: categorical = level index
   * (-1 missing), numeric = value (NaN missing). Throws if the previous patient has no
   * terminal event.
   */
  addPatient(id: string, indexDay: number, attributeValues: ArrayLike<number>): void {
    this.requirePreviousTerminated();
    if (!Number.isInteger(indexDay)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `patient ${id}: index day ${indexDay} is not an integer`,
      );
    }
    if (this.pLen === this.batchRows) this.flushPatients();
    const row = this.pLen++;
    const idBytes = utf8Bytes(id);
    this.pIds.push(idBytes);
    this.pIndexDay[row] = indexDay;
    const attrs = this.options.attributes;
    for (let a = 0; a < attrs.length; a++) {
      const v = attributeValues[a]!;
      const spec = attrs[a]!;
      if (
        spec.kind === 'categorical' &&
        !(v === -1 || (Number.isInteger(v) && v >= 0 && v < spec.levels.length))
      ) {
        throw new TrajsimError(
          'INVALID_ARGUMENT',
          `patient ${id}: attribute ${spec.name} level index ${v} out of range`,
        );
      }
      this.pAttrs[a]![row] = v;
    }
    this.currentId = id;
    this.currentIdBytes = idBytes;
    this.currentLastDay = 0;
    this.currentTerminated = false;
    this.currentHasEvents = false;
    this.patientCount++;
  }

  /** Adds an event to the patient added last. `code` indexes `options.codes`; value NaN if none. */
  addEvent(day: number, code: number, value: number): void {
    if (this.currentTerminated) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        this.patientCount === 0
          ? 'addEvent before any addPatient'
          : `patient ${this.currentId}: event on day ${day} after its terminal event`,
      );
    }
    if (!Number.isInteger(day) || day < this.currentLastDay || day < 0) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `patient ${this.currentId}: day ${day} is not an integer >= ${this.currentLastDay} (days must not go backwards)`,
      );
    }
    if (!(code >= 0 && code < this.options.codes.length && Number.isInteger(code))) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `patient ${this.currentId}: code index ${code} out of range`,
      );
    }
    if (this.eLen === this.batchRows) this.flushEvents();
    const row = this.eLen++;
    const idBytes = this.currentIdBytes;
    let start = this.eIdOffsets[row]!;
    if (start + idBytes.length > this.eIdBytes.length) {
      const grown = new Uint8Array(Math.max(this.eIdBytes.length * 2, start + idBytes.length));
      grown.set(this.eIdBytes.subarray(0, start));
      this.eIdBytes = grown;
    }
    this.eIdBytes.set(idBytes, start);
    start += idBytes.length;
    this.eIdOffsets[row + 1] = start;
    this.eDay[row] = day;
    this.eCode[row] = code;
    this.eValue[row] = value;
    this.currentLastDay = day;
    this.currentHasEvents = true;
    this.eventCount++;
    if (code === this.deathCode) {
      this.deaths++;
      this.currentTerminated = true;
    } else if (code === this.censorCode) {
      this.censored++;
      this.currentTerminated = true;
    }
  }

  /**
   * Adds rows `from` until `to` of typed event columns to the patient added last: the bulk form
   * of {@link TimelineWriter.addEvent} (same checks, same bytes), copying whole column runs.
   * The rows are checked before any is added, so a throw adds none of them.
   *
   * @param days - days since the index date (integers >= 0, non-decreasing).
   * @param codes - indices into `options.codes`.
   * @param values - event values (NaN = none).
   * @param from - first row (default 0).
   * @param to - row after the last (default `days.length`).
   * @throws TrajsimError INVALID_ARGUMENT as addEvent would, for the first bad row.
   * @example
   * w.addPatient('P1', 18_000, [1]);
   * w.addEvents(Int32Array.of(0, 400), Int32Array.of(0, 1), Float64Array.of(NaN, NaN));
   */
  addEvents(
    days: Int32Array,
    codes: Int32Array,
    values: Float64Array,
    from = 0,
    to = days.length,
  ): void {
    const ends = this.checkEvents(days, codes, from, to);
    let row = from;
    while (row < to) {
      if (this.eLen === this.batchRows) this.flushEvents();
      const n = Math.min(to - row, this.batchRows - this.eLen);
      this.appendIdBytes(n);
      this.eDay.set(days.subarray(row, row + n), this.eLen);
      this.eCode.set(codes.subarray(row, row + n), this.eLen);
      this.eValue.set(values.subarray(row, row + n), this.eLen);
      this.eLen += n;
      row += n;
    }
    if (to > from) {
      this.currentLastDay = days[to - 1]!;
      this.currentHasEvents = true;
      this.eventCount += to - from;
    }
    if (ends === this.deathCode && ends >= 0) this.deaths++;
    else if (ends === this.censorCode && ends >= 0) this.censored++;
    if (ends >= 0) this.currentTerminated = true;
  }

  /** addEvents' row checks; returns the terminal code the rows end with, or -1. */
  private checkEvents(days: Int32Array, codes: Int32Array, from: number, to: number): number {
    const nCodes = this.options.codes.length;
    let lastDay = this.currentLastDay;
    let terminated = this.currentTerminated;
    let ends = -1;
    for (let row = from; row < to; row++) {
      const day = days[row]!;
      const code = codes[row]!;
      if (terminated) {
        throw new TrajsimError(
          'INVALID_ARGUMENT',
          this.patientCount === 0
            ? 'addEvent before any addPatient'
            : `patient ${this.currentId}: event on day ${day} after its terminal event`,
        );
      }
      if (day < lastDay || day < 0) {
        throw new TrajsimError(
          'INVALID_ARGUMENT',
          `patient ${this.currentId}: day ${day} is not an integer >= ${lastDay} (days must not go backwards)`,
        );
      }
      if (!(code >= 0 && code < nCodes)) {
        throw new TrajsimError(
          'INVALID_ARGUMENT',
          `patient ${this.currentId}: code index ${code} out of range`,
        );
      }
      lastDay = day;
      if (code === this.deathCode || code === this.censorCode) {
        terminated = true;
        ends = code;
      }
    }
    return ends;
  }

  /** Appends the current patient's id bytes `n` times to the event id column. */
  private appendIdBytes(n: number): void {
    const idBytes = this.currentIdBytes;
    const len = idBytes.length;
    let start = this.eIdOffsets[this.eLen]!;
    const need = start + n * len;
    if (need > this.eIdBytes.length) {
      const grown = new Uint8Array(Math.max(this.eIdBytes.length * 2, need));
      grown.set(this.eIdBytes.subarray(0, start));
      this.eIdBytes = grown;
    }
    const bytes = this.eIdBytes;
    const offsets = this.eIdOffsets;
    for (let k = 0; k < n; k++) {
      if (len <= 16) for (let j = 0; j < len; j++) bytes[start + j] = idBytes[j]!;
      else bytes.set(idBytes, start);
      start += len;
      offsets[this.eLen + k + 1] = start;
    }
  }

  /**
   * Hands the full record batches buffered so far to the file and yields to the event loop
   * (a macrotask, so a SIGINT/SIGTERM handler can run between batches).
   */
  async commit(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /**
   * Writes the remaining rows, the footers and timeline.json, then `extraFiles` (name → text,
   * e.g. generation.json, computed from the manifest), and moves the directory into place.
   */
  async close(
    extraFiles?: (manifest: TimelineManifest) => Readonly<Record<string, string>>,
  ): Promise<TimelineManifest> {
    if (this.finished) throw new TrajsimError('INVALID_ARGUMENT', 'writer already closed');
    try {
      this.requirePreviousTerminated();
      if (this.pLen > 0 || this.patientCount === 0) this.flushPatients();
      if (this.eLen > 0 || this.eventCount === 0) this.flushEvents();
      const patientsHash = this.patientsFile.finish();
      const eventsHash = this.eventsFile.finish();
      const manifest: TimelineManifest = {
        format: 'trajsim-timeline',
        formatVersion: 1,
        name: this.options.name,
        source: this.options.source,
        attributes: this.options.attributes,
        codes: this.options.codes,
        counts: {
          patients: this.patientCount,
          events: this.eventCount,
          deaths: this.deaths,
          censored: this.censored,
        },
        contentHash: createHash('sha256').update(patientsHash).update(eventsHash).digest('hex'),
      };
      writeFileSync(
        this.dir.file(TIMELINE_FILES.MANIFEST),
        `${JSON.stringify(manifest, null, 2)}\n`,
      );
      for (const [name, text] of Object.entries(extraFiles?.(manifest) ?? {})) {
        writeFileSync(this.dir.file(name), text);
      }
      this.dir.commit();
      this.finished = true;
      return manifest;
    } catch (cause) {
      await this.abort();
      throw cause;
    }
  }

  /** Discards everything written; the output path is left as it was. */
  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.patientsFile.closeQuietly();
    this.eventsFile.closeQuietly();
    this.dir.abort();
  }

  private requirePreviousTerminated(): void {
    if (!this.currentTerminated) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        this.currentHasEvents
          ? `patient ${this.currentId}: last event is not a terminal code (DEATH or END_OF_FOLLOWUP)`
          : `patient ${this.currentId}: has no events (needs at least a terminal event)`,
      );
    }
  }

  private flushPatients(): void {
    const n = this.pLen;
    const schema = this.patientsFile.schema;
    const children: Data[] = [
      utf8DataOfEncoded(this.pIds),
      dateDayData(this.pIndexDay.slice(0, n)),
    ];
    this.options.attributes.forEach((a, k) => {
      const col = this.pAttrs[k]!;
      if (a.kind === 'categorical') {
        children.push(
          dictionaryData(
            schema.fields[k + 2]!.type as Dictionary<Utf8, Int32>,
            (col as Int32Array).slice(0, n),
            this.dictionaries[k]!,
          ),
        );
      } else {
        children.push(float64Data((col as Float64Array).slice(0, n)));
      }
    });
    this.patientsFile.writeBatch(n, children);
    this.pIds = [];
    this.pLen = 0;
  }

  private flushEvents(): void {
    const n = this.eLen;
    const schema = this.eventsFile.schema;
    const offsets = this.eIdOffsets.slice(0, n + 1);
    const children = [
      utf8Data(offsets, this.eIdBytes.slice(0, offsets[n]!)),
      int32Data(this.eDay.slice(0, n)),
      dictionaryData(
        schema.fields[2]!.type as Dictionary<Utf8, Int32>,
        this.eCode.slice(0, n),
        this.codeDictionary,
      ),
      float64Data(this.eValue.slice(0, n)),
    ];
    this.eventsFile.writeBatch(n, children);
    this.eLen = 0;
    this.eIdOffsets[0] = 0;
  }
}
