import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Data, DataType, type Table, tableFromIPC } from 'apache-arrow';
import { z } from 'zod';
import { TrajsimError } from '../core/errors.js';
import { readJsonFile } from '../core/json-file.js';
import { contentHashMismatch } from '../core/messages.js';
import {
  type Attribute,
  type AttributeSpec,
  TIMELINE_FILES,
  type Timeline,
  type TimelineManifest,
} from './types.js';

const attributeSpecSchema = z.union([
  z.object({ name: z.string(), kind: z.literal('categorical'), levels: z.array(z.string()) }),
  z.object({ name: z.string(), kind: z.literal('numeric') }),
]);

const manifestSchema = z.object({
  format: z.literal('trajsim-timeline'),
  formatVersion: z.literal(1),
  name: z.string(),
  source: z.string(),
  attributes: z.array(attributeSpecSchema),
  codes: z.array(z.string()),
  counts: z.object({
    patients: z.number().int().nonnegative(),
    events: z.number().int().nonnegative(),
    deaths: z.number().int().nonnegative(),
    censored: z.number().int().nonnegative(),
  }),
  contentHash: z.string(),
});

/** Reads and checks `timeline.json` of a timeline directory. */
export function readTimelineManifest(dir: string): TimelineManifest {
  const path = join(dir, TIMELINE_FILES.MANIFEST);
  if (!existsSync(path)) {
    throw new TrajsimError(
      'IO',
      `${dir} is not a timeline directory (no ${TIMELINE_FILES.MANIFEST}); create one with 'trajsim import'`,
    );
  }
  return readJsonFile(path, manifestSchema) as TimelineManifest;
}

function readArrow(path: string): Table {
  if (!existsSync(path)) throw new TrajsimError('IO', `missing file ${path}`);
  try {
    return tableFromIPC(readFileSync(path));
  } catch (cause) {
    throw new TrajsimError(
      'INVALID_INPUT',
      `not a readable Arrow IPC file (${(cause as Error).message})`,
      {
        file: path,
        cause,
      },
    );
  }
}

function column(table: Table, name: string, file: string): readonly Data[] {
  const vec = table.getChild(name);
  if (!vec) {
    throw new TrajsimError('INVALID_INPUT', `missing column '${name}'`, { file });
  }
  return vec.data;
}

function isValid(data: Data, i: number): boolean {
  const bitmap = data.nullBitmap;
  if (!bitmap || bitmap.length === 0 || data.nullCount === 0) return true;
  const j = data.offset + i;
  return ((bitmap[j >> 3]! >> (j & 7)) & 1) === 1;
}

/** Int32 (or Date32) column as one Int32Array. */
function int32Column(
  chunks: readonly Data[],
  length: number,
  file: string,
  name: string,
): Int32Array {
  const out = new Int32Array(length);
  let k = 0;
  for (const d of chunks) {
    if (!DataType.isInt(d.type) && !DataType.isDate(d.type)) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `column '${name}' has type ${d.type}; expected Int32`,
        { file },
      );
    }
    out.set((d.values as Int32Array).subarray(d.offset, d.offset + d.length), k);
    k += d.length;
  }
  return out;
}

/** Float64 column, nulls as NaN. */
function float64Column(chunks: readonly Data[], length: number): Float64Array {
  const out = new Float64Array(length);
  let k = 0;
  for (const d of chunks) {
    const values = d.values as Float64Array;
    for (let i = 0; i < d.length; i++)
      out[k + i] = isValid(d, i) ? values[d.offset + i]! : Number.NaN;
    k += d.length;
  }
  return out;
}

/** Dictionary<Utf8> column as indices into `levels` (-1 null), remapping per-chunk dictionaries. */
function dictionaryColumn(
  chunks: readonly Data[],
  length: number,
  levels: readonly string[],
  file: string,
  name: string,
): Int32Array {
  const out = new Int32Array(length);
  const levelIndex = new Map(levels.map((l, i) => [l, i]));
  let k = 0;
  for (const d of chunks) {
    if (!DataType.isDictionary(d.type) || !d.dictionary) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `column '${name}' has type ${d.type}; expected Dictionary<Utf8>`,
        { file },
      );
    }
    const dict = d.dictionary.toArray() as string[];
    const remap = new Int32Array(dict.length);
    for (let j = 0; j < dict.length; j++) {
      const idx = levelIndex.get(dict[j]!);
      if (idx === undefined) {
        throw new TrajsimError(
          'INVALID_INPUT',
          `column '${name}': level '${dict[j]}' not listed in timeline.json`,
          { file },
        );
      }
      remap[j] = idx;
    }
    const values = d.values as Int32Array;
    for (let i = 0; i < d.length; i++)
      out[k + i] = isValid(d, i) ? remap[values[d.offset + i]!]! : -1;
    k += d.length;
  }
  return out;
}

/**
 * Reads a timeline directory written by trajsim (`import`, `reference`, `generate`) into
 * columnar memory. Checks that the files agree with `timeline.json` and that events are
 * grouped by patient in patient order; the full invariants (sorted days, every patient with
 * events and one terminal event) are checked when a directory is written (`importTimeline`,
 * `TimelineWriter`).
 * Throws IO for a missing directory or file, INVALID_INPUT (naming the file) for anything
 * malformed, including a truncated Arrow file.
 *
 * @example
 * const t = await readTimeline('data/colon.timeline');
 * t.patients.ids.length // => 929
 */
export async function readTimeline(dir: string): Promise<Timeline> {
  const manifest = readTimelineManifest(dir);
  const pPath = join(dir, TIMELINE_FILES.PATIENTS);
  const ePath = join(dir, TIMELINE_FILES.EVENTS);
  const pTable = readArrow(pPath);
  const eTable = readArrow(ePath);
  const nP = pTable.numRows;
  const nE = eTable.numRows;
  if (nP !== manifest.counts.patients || nE !== manifest.counts.events) {
    throw new TrajsimError(
      'INVALID_INPUT',
      `files hold ${nP} patients and ${nE} events; timeline.json says ${manifest.counts.patients} and ${manifest.counts.events}`,
      { file: join(dir, TIMELINE_FILES.MANIFEST) },
    );
  }
  const ids: string[] = new Array(nP);
  {
    let k = 0;
    for (const v of pTable.getChild('patient_id') ?? missing(pPath, 'patient_id'))
      ids[k++] = v as string;
  }
  const indexDay = int32Column(column(pTable, 'index_date', pPath), nP, pPath, 'index_date');
  const attributes: Attribute[] = manifest.attributes.map((spec: AttributeSpec) => {
    const chunks = column(pTable, spec.name, pPath);
    return spec.kind === 'categorical'
      ? {
          name: spec.name,
          kind: 'categorical',
          levels: spec.levels,
          codes: dictionaryColumn(chunks, nP, spec.levels, pPath, spec.name),
        }
      : { name: spec.name, kind: 'numeric', values: float64Column(chunks, nP) };
  });

  const day = int32Column(column(eTable, 'day', ePath), nE, ePath, 'day');
  const code = dictionaryColumn(column(eTable, 'code', ePath), nE, manifest.codes, ePath, 'code');
  const value = float64Column(column(eTable, 'value', ePath), nE);
  const patient = new Int32Array(nE);
  const offsets = new Int32Array(nP + 1);
  assignPatientRows(column(eTable, 'patient_id', ePath), ids, patient, offsets, ePath);
  verifyContentHash(dir, manifest.contentHash, pPath, ePath);

  return {
    name: manifest.name,
    patients: { ids, indexDay, attributes },
    events: { patient, day, code, value, codes: manifest.codes },
    offsets,
  };
}

function missing(file: string, name: string): never {
  throw new TrajsimError('INVALID_INPUT', `missing column '${name}'`, { file });
}

/**
 * Maps each event's patient_id to its patient row by comparing UTF-8 bytes against the
 * expected patient (events are grouped in patient order), without decoding 20M strings.
 */
function assignPatientRows(
  chunks: readonly Data[],
  ids: readonly string[],
  patient: Int32Array,
  offsets: Int32Array,
  file: string,
): void {
  const encoder = new TextEncoder();
  let p = -1;
  let current = new Uint8Array(0);
  let k = 0;
  for (const d of chunks) {
    const vo = d.valueOffsets as Int32Array;
    const bytes = d.values as Uint8Array;
    for (let i = 0; i < d.length; i++, k++) {
      const start = vo[d.offset + i]!;
      const end = vo[d.offset + i + 1]!;
      if (!sameBytes(bytes, start, end, current)) {
        p++;
        while (p < ids.length) {
          offsets[p] = k;
          current = encoder.encode(ids[p]!);
          if (sameBytes(bytes, start, end, current)) break;
          p++; // a patient with no events: refused when the directory was written
        }
        if (p >= ids.length) {
          const id = new TextDecoder().decode(bytes.subarray(start, end));
          throw new TrajsimError(
            'INVALID_INPUT',
            `event row ${k}: patient_id '${id}' is unknown or out of patient order (events must be grouped by patient in patients.arrow order)`,
            { file },
          );
        }
      }
      patient[k] = p;
    }
  }
  for (let q = p + 1; q <= ids.length; q++) offsets[q] = k;
}

function sameBytes(bytes: Uint8Array, start: number, end: number, id: Uint8Array): boolean {
  if (end - start !== id.length) return false;
  for (let i = 0; i < id.length; i++) if (bytes[start + i] !== id[i]) return false;
  return true;
}

// --- f18-robustness: timeline.json's contentHash is verified on read (issue 18 #20) ---

/**
 * Refuses a timeline whose Arrow files are not the ones its timeline.json describes (edited,
 * swapped or partly overwritten): contentHash is sha256 of the hex sha256 of patients.arrow
 * then of events.arrow, as TimelineWriter computes it.
 *
 * @throws TrajsimError INVALID_INPUT naming timeline.json.
 */
function verifyContentHash(dir: string, expected: string, pPath: string, ePath: string): void {
  const fileHash = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
  const actual = createHash('sha256').update(fileHash(pPath)).update(fileHash(ePath)).digest('hex');
  if (actual !== expected) {
    throw new TrajsimError('INVALID_INPUT', contentHashMismatch(), {
      file: join(dir, TIMELINE_FILES.MANIFEST),
      field: 'contentHash',
    });
  }
}
