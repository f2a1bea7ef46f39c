import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, RecordBatchReader } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { parseIsoDay } from '../../src/core/days.js';
import { TrajsimError } from '../../src/core/errors.js';
import { simulateReference } from '../../src/reference/reference-process.js';
import { exportTimeline } from '../../src/timeline/export.js';
import { importTimeline } from '../../src/timeline/import.js';
import {
  readParquetBatches,
  readParquetTable,
  writeParquetBatches,
} from '../../src/timeline/parquet.js';
import { useTempDir } from '../helpers/tmp.js';

const root = useTempDir('interop');
const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'timeline.json'), 'utf8'));
const bytes = (dir: string, file: string) => readFileSync(join(dir, file));

/** CSV rows of a bundled file, split naively (the bundled files have no quoted fields). */
function csvRows(path: string): string[][] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
}

describe('CSV ↔ Arrow ↔ Parquet round trips', () => {
  const csvIn = join(root, 'colon');
  const pq = join(root, 'colon-pq');
  const fromPq = join(root, 'colon-from-pq');
  const fromArrow = join(root, 'colon-from-arrow');

  it('colon: CSV → timeline → Parquet → timeline is byte-identical, and so is Arrow', async () => {
    await importTimeline({
      patients: 'data/colon/patients.csv',
      events: 'data/colon/events.csv',
      out: csvIn,
    });
    await exportTimeline(csvIn, pq, { format: 'parquet' });
    await importTimeline({
      patients: join(pq, 'patients.parquet'),
      events: join(pq, 'events.parquet'),
      out: fromPq,
    });
    await importTimeline({
      patients: join(csvIn, 'patients.arrow'),
      events: join(csvIn, 'events.arrow'),
      out: fromArrow,
    });
    for (const dir of [fromPq, fromArrow]) {
      expect(manifest(dir).contentHash).toBe(manifest(csvIn).contentHash);
      expect(bytes(dir, 'events.arrow').equals(bytes(csvIn, 'events.arrow'))).toBe(true);
      expect(bytes(dir, 'patients.arrow').equals(bytes(csvIn, 'patients.arrow'))).toBe(true);
    }
    // and back to CSV: the same bytes as the CSV export of the original timeline
    await exportTimeline(csvIn, join(root, 'csv-a'));
    await exportTimeline(fromPq, join(root, 'csv-b'));
    for (const f of ['patients.csv', 'events.csv']) {
      expect(bytes(join(root, 'csv-b'), f).equals(bytes(join(root, 'csv-a'), f))).toBe(true);
    }
  });

  it('Parquet keeps Arrow types: dictionaries, Date32, nulls; dates are index_date + day', async () => {
    const events = await readParquetTable(join(pq, 'events.parquet'));
    const types = Object.fromEntries(events.schema.fields.map((f) => [f.name, f.type]));
    expect(DataType.isDictionary(types['code'])).toBe(true);
    expect(String(types['day'])).toBe('Int32');
    expect(String(types['date'])).toBe('Date32<DAY>');
    // independent truth: the bundled CSV (header patient_id,day,code,value)
    const rows = csvRows('data/colon/events.csv').slice(1);
    expect(events.numRows).toBe(rows.length);
    const missing = rows.filter((r) => (r[3] ?? '') === '' || r[3] === 'NA').length;
    expect(events.getChild('value')!.nullCount).toBe(missing);
    const patients = csvRows('data/colon/patients.csv');
    const dateCol = patients[0]!.indexOf('index_date');
    const indexDate = new Map(patients.slice(1).map((r) => [r[0]!, r[dateCol]!]));
    const first = events.get(0)!.toJSON() as { patient_id: string; day: number; date: number };
    expect(first.date).toBe(
      (parseIsoDay(indexDate.get(first.patient_id)!) + first.day) * 86_400_000,
    );
    const p = await readParquetTable(join(pq, 'patients.parquet'));
    expect(DataType.isDictionary(p.schema.fields.find((f) => f.name === 'sex')!.type)).toBe(true);
    expect(String(p.schema.fields.find((f) => f.name === 'index_date')!.type)).toBe('Date32<DAY>');
    expect(p.numRows).toBe(patients.length - 1);
  });

  it('the reference process: timeline → Parquet → timeline keeps every patient and event', async () => {
    const ref = join(root, 'ref');
    await simulateReference(ref, { patients: 300, seed: '7' });
    await exportTimeline(ref, join(root, 'ref-pq'), { format: 'parquet', dates: false });
    const back = join(root, 'ref-back');
    await importTimeline({
      patients: join(root, 'ref-pq', 'patients.parquet'),
      events: join(root, 'ref-pq', 'events.parquet'),
      out: back,
    });
    // import orders the code vocabulary by code unit (the reference process does not), so the
    // Arrow dictionaries differ in order; the content is compared through the CSV export
    expect(manifest(back).attributes).toEqual(manifest(ref).attributes);
    expect([...manifest(back).codes].sort()).toEqual([...manifest(ref).codes].sort());
    await exportTimeline(ref, join(root, 'ref-csv-a'));
    await exportTimeline(back, join(root, 'ref-csv-b'));
    for (const f of ['patients.csv', 'events.csv']) {
      expect(bytes(join(root, 'ref-csv-b'), f).equals(bytes(join(root, 'ref-csv-a'), f))).toBe(
        true,
      );
    }
  });

  it('Parquet is written and read in row groups (one batch each)', async () => {
    const reader = RecordBatchReader.from(readFileSync(join(csvIn, 'events.arrow')));
    const file = join(root, 'groups.parquet');
    await writeParquetBatches(file, reader, 1000);
    const sizes: number[] = [];
    for await (const batch of readParquetBatches(file)) sizes.push(batch.numRows);
    expect(sizes).toEqual([1000, 1000, 1000, 255]); // 3255 events
  });

  it('a Parquet events table with a fractional day is refused with its row', async () => {
    const { tableFromArrays } = await import('apache-arrow');
    const table = tableFromArrays({
      patient_id: ['1', '1'],
      day: new Float64Array([0, 1.5]),
      code: ['DIAGNOSIS', 'DEATH'],
    });
    const file = join(root, 'bad-events.parquet');
    await writeParquetBatches(file, table.batches);
    const error = await importTimeline({
      patients: join(pq, 'patients.parquet'),
      events: file,
      out: join(root, 'bad'),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrajsimError);
    expect((error as TrajsimError).message).toMatch(/day '1.5' is not an integer/);
    expect((error as TrajsimError).line).toBe(3);
  });

  it('columnar checks: Int64 days are read, a null day or an unknown patient is refused with its row', async () => {
    const { Table, vectorFromArray, Utf8, Int64, Int32 } = await import('apache-arrow');
    const patients = join(root, 'p2.parquet');
    await writeParquetBatches(
      patients,
      new Table({
        patient_id: vectorFromArray(['a', 'b'], new Utf8()),
        index_date: vectorFromArray(['2020-01-01', '2020-02-01'], new Utf8()),
      }).batches,
    );
    const events = (ids: string[], days: (number | null)[]) =>
      new Table({
        patient_id: vectorFromArray(ids, new Utf8()),
        day: vectorFromArray(days, new Int32()),
        code: vectorFromArray(['DIAGNOSIS', 'DEATH', 'DIAGNOSIS', 'END_OF_FOLLOWUP'], new Utf8()),
      }).batches;
    const ok = join(root, 'e-ok.parquet');
    await writeParquetBatches(
      ok,
      new Table({
        patient_id: vectorFromArray(['a', 'a', 'b', 'b'], new Utf8()),
        day: vectorFromArray([0n, 5n, 0n, 9n], new Int64()),
        code: vectorFromArray(['DIAGNOSIS', 'DEATH', 'DIAGNOSIS', 'END_OF_FOLLOWUP'], new Utf8()),
      }).batches,
    );
    const m = await importTimeline({ patients, events: ok, out: join(root, 'int64') });
    expect(m.counts).toEqual({ patients: 2, events: 4, deaths: 1, censored: 1 });
    const attempt = async (file: string) =>
      importTimeline({ patients, events: file, out: join(root, 'never') }).catch(
        (e: unknown) => e as TrajsimError,
      );
    const nullDay = join(root, 'e-null.parquet');
    await writeParquetBatches(nullDay, events(['a', 'a', 'b', 'b'], [0, 5, null, 9]));
    const e1 = (await attempt(nullDay)) as TrajsimError;
    expect([e1.line, e1.field, e1.message.includes('day is empty')]).toEqual([4, 'day', true]);
    const unknown = join(root, 'e-unknown.parquet');
    await writeParquetBatches(unknown, events(['a', 'a', 'c', 'c'], [0, 5, 0, 9]));
    const e2 = (await attempt(unknown)) as TrajsimError;
    expect([e2.line, e2.field]).toEqual([4, 'patient_id']);
  });
});
