import {
  type Data,
  DateDay,
  type Dictionary,
  Field,
  type Int32,
  type RecordBatch,
  Schema,
  type Utf8,
} from 'apache-arrow';
import {
  dateDayData,
  dictionaryData,
  dictionaryVector,
  eventsSchema,
  float64Data,
  int32Data,
  patientsSchema,
  recordBatchOf,
  utf8DataOfEncoded,
} from './arrow-schema.js';
import { PARQUET_ROW_GROUP_ROWS, writeParquetBatches } from './parquet.js';
import type { AttributeSpec, Timeline } from './types.js';

const encoder = new TextEncoder();

/**
 * The patients table of a timeline as one Arrow record batch (the patients.arrow schema:
 * patient_id Utf8, index_date Date32, categorical attributes as dictionaries, numeric as Float64).
 *
 * @example
 * patientsBatch(await readTimeline('out/colon')).numRows // => 929
 */
export function patientsBatch(t: Timeline): RecordBatch {
  const specs: AttributeSpec[] = t.patients.attributes.map((a) =>
    a.kind === 'categorical'
      ? { name: a.name, kind: 'categorical', levels: a.levels }
      : { name: a.name, kind: 'numeric' },
  );
  const schema = patientsSchema(specs);
  const children: Data[] = [
    utf8DataOfEncoded(t.patients.ids.map((id) => encoder.encode(id))),
    dateDayData(t.patients.indexDay),
  ];
  t.patients.attributes.forEach((a, i) => {
    const type = schema.fields[i + 2]!.type;
    children.push(
      a.kind === 'categorical'
        ? dictionaryData(type as Dictionary<Utf8, Int32>, a.codes, dictionaryVector(a.levels))
        : float64Data(a.values),
    );
  });
  return recordBatchOf(schema, t.patients.ids.length, children);
}

/**
 * The events of a timeline as Arrow record batches of at most `rows` rows (the events.arrow
 * schema, plus `date` = index_date + day as Date32 when `withDates`), built one at a time.
 *
 * @example
 * [...eventBatches(await readTimeline('out/colon'), true)].length // => 1
 */
export function* eventBatches(
  t: Timeline,
  withDates: boolean,
  rows: number = PARQUET_ROW_GROUP_ROWS,
): Generator<RecordBatch> {
  const base = eventsSchema();
  const schema = withDates
    ? new Schema([...base.fields, new Field('date', new DateDay(), false)])
    : base;
  const codeType = base.fields[2]!.type;
  const codes = dictionaryVector(t.events.codes);
  const ids = t.patients.ids.map((id) => encoder.encode(id));
  const total = t.events.day.length;
  let p = 0;
  for (let from = 0; from < total; from += rows) {
    const to = Math.min(total, from + rows);
    const idBytes: Uint8Array[] = new Array(to - from);
    const dates = new Int32Array(to - from);
    for (let i = from; i < to; i++) {
      while (t.offsets[p + 1]! <= i) p++;
      idBytes[i - from] = ids[p]!;
      dates[i - from] = t.patients.indexDay[p]! + t.events.day[i]!;
    }
    const children: Data[] = [
      utf8DataOfEncoded(idBytes),
      int32Data(t.events.day.subarray(from, to)),
      dictionaryData(codeType as Dictionary<Utf8, Int32>, t.events.code.subarray(from, to), codes),
      float64Data(t.events.value.subarray(from, to)),
    ];
    if (withDates) children.push(dateDayData(dates));
    yield recordBatchOf(schema, to - from, children);
  }
}

/**
 * Writes a timeline as `patients.parquet` and `events.parquet` (Snappy, one row group per
 * {@link PARQUET_ROW_GROUP_ROWS} events, Arrow types embedded).
 *
 * @param t - the timeline.
 * @param patientsPath - output path of patients.parquet.
 * @param eventsPath - output path of events.parquet.
 * @param withDates - add the `date` column to events.
 * @throws TrajsimError IO when a file cannot be written.
 * @example
 * await writeTimelineParquet(t, 'out/pq/patients.parquet', 'out/pq/events.parquet', true)
 */
export async function writeTimelineParquet(
  t: Timeline,
  patientsPath: string,
  eventsPath: string,
  withDates: boolean,
): Promise<void> {
  await writeParquetBatches(patientsPath, [patientsBatch(t)]);
  await writeParquetBatches(eventsPath, eventBatches(t, withDates));
}
