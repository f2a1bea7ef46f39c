import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Dictionary,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { importTimeline } from '../../src/timeline/import.js';
import { TimelineWriter } from '../../src/timeline/writer.js';
import { useTempDir } from '../helpers/tmp.js';

// The bulk path of import (issue 13 item 2): TimelineWriter.addEvents and the columnar reader's
// typed-array path must give the bytes of the per-event path and of a CSV import.

const root = useTempDir('bulk-import');
const files = (dir: string) =>
  ['patients.arrow', 'events.arrow', 'timeline.json'].map((f) => readFileSync(join(dir, f)));

const options = {
  name: 'tiny',
  source: 'test',
  attributes: [{ name: 'stage', kind: 'categorical', levels: ['I', 'II'] }] as const,
  codes: ['DEATH', 'DIAGNOSIS', 'END_OF_FOLLOWUP', 'RECURRENCE'],
};
/** Patient p: DIAGNOSIS on 0, RECURRENCE on 3p (every other patient, value p/2), then terminal. */
function eventsOf(p: number): [number, number, number][] {
  const e: [number, number, number][] = [[0, 1, Number.NaN]];
  if (p % 2 === 0) e.push([3 * p, 3, p / 2]);
  if (p % 5 === 1) e.push([3 * p, 3, Number.NaN]);
  e.push([3 * p + 7, p % 3 === 0 ? 0 : 2, Number.NaN]);
  return e;
}

describe('TimelineWriter.addEvents', () => {
  it('writes the bytes of addEvent row by row, across record-batch boundaries', async () => {
    for (const batchRows of [1, 3, 64]) {
      const one = await TimelineWriter.create(join(root, `one-${batchRows}`), {
        ...options,
        batchRows,
      });
      const bulk = await TimelineWriter.create(join(root, `bulk-${batchRows}`), {
        ...options,
        batchRows,
      });
      for (let p = 0; p < 23; p++) {
        const e = eventsOf(p);
        one.addPatient(`P${p}`, 19_000 + p, [p % 3 === 2 ? -1 : p % 2]);
        bulk.addPatient(`P${p}`, 19_000 + p, [p % 3 === 2 ? -1 : p % 2]);
        for (const [day, code, value] of e) one.addEvent(day, code, value);
        // padded columns: only rows 2..2+n are this patient's
        const days = Int32Array.from([9, 9, ...e.map((x) => x[0]), 9]);
        const codes = Int32Array.from([9, 9, ...e.map((x) => x[1]), 9]);
        const values = Float64Array.from([9, 9, ...e.map((x) => x[2]), 9]);
        bulk.addEvents(days, codes, values, 2, 2 + e.length);
      }
      const a = await one.close();
      const b = await bulk.close();
      expect(b).toEqual(a);
      expect(files(join(root, `bulk-${batchRows}`))).toEqual(files(join(root, `one-${batchRows}`)));
    }
  });

  it('refuses what addEvent refuses, adding none of the rows', async () => {
    const w = await TimelineWriter.create(join(root, 'refuse'), options);
    w.addPatient('P0', 19_000, [0]);
    expect(() =>
      w.addEvents(Int32Array.of(0, 5, 6), Int32Array.of(1, 0, 3), new Float64Array(3)),
    ).toThrow('P0: event on day 6 after its terminal event');
    expect(() =>
      w.addEvents(Int32Array.of(4, 2), Int32Array.of(1, 0), new Float64Array(2)),
    ).toThrow('day 2 is not an integer >= 4');
    expect(() => w.addEvents(Int32Array.of(0), Int32Array.of(4), new Float64Array(1))).toThrow(
      'code index 4 out of range',
    );
    w.addEvents(Int32Array.of(0, 5), Int32Array.of(1, 0), new Float64Array(2));
    const m = await w.close();
    expect(m.counts).toEqual({ patients: 1, events: 2, deaths: 1, censored: 0 });
  });
});

/** A CSV timeline of 12 patients whose events are not grouped by patient in the file. */
function writeCsv(dir: string): { rows: [string, number, string, string][] } {
  const patients = ['patient_id,index_date,stage'];
  const rows: [string, number, string, string][] = [];
  for (let p = 0; p < 12; p++) {
    patients.push(
      `P${p},2020-01-${String(p + 1).padStart(2, '0')},${p % 3 === 2 ? '' : ['I', 'II'][p % 2]}`,
    );
    for (const [day, code, value] of eventsOf(p))
      rows.push([`P${p}`, day, options.codes[code]!, Number.isNaN(value) ? '' : String(value)]);
  }
  // interleave: patients 0..5 first events, then the rest in order (stable per patient)
  const firsts = rows.filter((r) => r[1] === 0 && Number(r[0].slice(1)) < 6);
  const others = rows.filter((r) => !firsts.includes(r));
  const ordered = [...firsts, ...others];
  writeFileSync(join(dir, 'patients.csv'), `${patients.join('\n')}\n`);
  writeFileSync(
    join(dir, 'events.csv'),
    `patient_id,day,code,value\n${ordered.map((r) => r.join(',')).join('\n')}\n`,
  );
  return { rows: ordered };
}

/** The same events as an Arrow IPC file with the given code and day column types. */
function writeArrowEvents(
  path: string,
  rows: readonly [string, number, string, string][],
  layout: 'dictionary' | 'utf8-int64',
): void {
  const ids = vectorFromArray(
    rows.map((r) => r[0]),
    new Utf8(),
  );
  const codes =
    layout === 'dictionary'
      ? vectorFromArray(
          rows.map((r) => r[2]),
          new Dictionary(new Utf8(), new Int32()),
        )
      : vectorFromArray(
          rows.map((r) => r[2]),
          new Utf8(),
        );
  const days =
    layout === 'dictionary'
      ? vectorFromArray(
          rows.map((r) => r[1]),
          new Int32(),
        )
      : vectorFromArray(
          rows.map((r) => BigInt(r[1])),
          new Int64(),
        );
  const values = vectorFromArray(
    rows.map((r) => (r[3] === '' ? null : Number(r[3]))),
    new Float64(),
  );
  const schema = new Schema([
    new Field('patient_id', ids.type, false),
    new Field('day', days.type, false),
    new Field('code', codes.type, false),
    new Field('value', values.type, true),
  ]);
  const data = makeData({
    type: new Struct(schema.fields),
    length: rows.length,
    nullCount: 0,
    children: [ids.data[0]!, days.data[0]!, codes.data[0]!, values.data[0]!],
  });
  writeFileSync(path, tableToIPC(new Table([new RecordBatch(schema, data)]), 'file'));
}

describe('Arrow import by columns', () => {
  it('gives the bytes of the CSV import, for the typed layout and the generic one, grouped or not', async () => {
    const src = join(root, 'src');
    mkdirSync(src, { recursive: true });
    const { rows } = writeCsv(src);
    await importTimeline({
      patients: join(src, 'patients.csv'),
      events: join(src, 'events.csv'),
      out: join(root, 'from-csv'),
    });
    const expected = files(join(root, 'from-csv'));
    const grouped = [...rows].sort((a, b) => Number(a[0].slice(1)) - Number(b[0].slice(1)));
    for (const [order, table] of [
      ['interleaved', rows],
      ['grouped', grouped],
    ] as const) {
      for (const layout of ['dictionary', 'utf8-int64'] as const) {
        const name = `${order}-${layout}`;
        writeArrowEvents(join(src, `events-${name}.arrow`), table, layout);
        await importTimeline({
          patients: join(src, 'patients.csv'),
          events: join(src, `events-${name}.arrow`),
          out: join(root, `from-${name}`),
        });
        const got = files(join(root, `from-${name}`));
        expect(got[0]).toEqual(expected[0]);
        expect(got[1]).toEqual(expected[1]);
      }
    }
  });
});
