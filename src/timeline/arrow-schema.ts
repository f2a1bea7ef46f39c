import {
  type Data,
  DateDay,
  Dictionary,
  Field,
  Float64,
  Int32,
  makeData,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
  type Vector,
} from 'apache-arrow';
import type { AttributeSpec } from './types.js';

/**
 * Arrow schemas of `patients.arrow` and `events.arrow`, and builders of their columns from
 * typed arrays. Dictionary ids are explicit (Arrow's default is a process-wide counter, which
 * would make file bytes depend on what else the process created).
 */

const utf8Encoder = new TextEncoder();

/**
 * The schema of patients.arrow for the given attributes; dictionary ids 0..k-1.
 *
 * @example
 * patientsSchema([{ name: 'stage', kind: 'categorical', levels: ['I', 'II'] }, { name: 'age', kind: 'numeric' }])
 *   .fields.map((f) => `${f.name}:${f.type}`)
 * // => ['patient_id:Utf8', 'index_date:Date32<DAY>', 'stage:Dictionary<Int32, Utf8>', 'age:Float64']
 */
export function patientsSchema(attributes: readonly AttributeSpec[]): Schema {
  let dictId = 0;
  const fields: Field[] = [
    new Field('patient_id', new Utf8(), false),
    new Field('index_date', new DateDay(), false),
  ];
  for (const a of attributes) {
    fields.push(
      a.kind === 'categorical'
        ? new Field(a.name, new Dictionary(new Utf8(), new Int32(), dictId++), true)
        : new Field(a.name, new Float64(), true),
    );
  }
  return new Schema(fields);
}

/**
 * The schema of events.arrow; the code dictionary has id 0 (its own file).
 *
 * @example
 * eventsSchema().fields.map((f) => `${f.name}:${f.type}`)
 * // => ['patient_id:Utf8', 'day:Int32', 'code:Dictionary<Int32, Utf8>', 'value:Float64']
 */
export function eventsSchema(): Schema {
  return new Schema([
    new Field('patient_id', new Utf8(), false),
    new Field('day', new Int32(), false),
    new Field('code', new Dictionary(new Utf8(), new Int32(), 0), false),
    new Field('value', new Float64(), true),
  ]);
}

/**
 * A Utf8 vector holding `levels` (a dictionary).
 *
 * @example
 * dictionaryVector(['I', 'II']).toArray() // => ['I', 'II']
 */
export function dictionaryVector(levels: readonly string[]): Vector<Utf8> {
  const encoded = levels.map((s) => utf8Encoder.encode(s));
  const offsets = new Int32Array(levels.length + 1);
  let total = 0;
  for (let i = 0; i < encoded.length; i++) {
    total += encoded[i]!.length;
    offsets[i + 1] = total;
  }
  const bytes = new Uint8Array(total);
  for (let i = 0; i < encoded.length; i++) bytes.set(encoded[i]!, offsets[i]!);
  return makeVector(
    makeData({ type: new Utf8(), length: levels.length, valueOffsets: offsets, data: bytes }),
  );
}

/**
 * Validity bitmap (LSB first) of `length` rows where `isNull(i)`; undefined when none is null.
 *
 * @example
 * nullBitmap(10, (i) => i === 1 || i === 9) // => { bitmap: Uint8Array [253, 1], nullCount: 2 }
 * nullBitmap(3, () => false) // => { bitmap: undefined, nullCount: 0 }
 */
export function nullBitmap(
  length: number,
  isNull: (i: number) => boolean,
): { bitmap: Uint8Array | undefined; nullCount: number } {
  let nullCount = 0;
  for (let i = 0; i < length; i++) if (isNull(i)) nullCount++;
  if (nullCount === 0) return { bitmap: undefined, nullCount };
  const bitmap = new Uint8Array((length + 7) >> 3);
  for (let i = 0; i < length; i++) if (!isNull(i)) bitmap[i >> 3]! |= 1 << (i & 7);
  return { bitmap, nullCount };
}

/**
 * Int32 data (no nulls) over `values`, without copying.
 *
 * @example
 * int32Data(new Int32Array([1, 2])).length // => 2
 */
export function int32Data(values: Int32Array): Data<Int32> {
  return makeData({ type: new Int32(), length: values.length, data: values });
}

/**
 * Date32 (days since 1970-01-01, UTC) data (no nulls) over `values`, without copying.
 *
 * @example
 * String(dateDayData(new Int32Array([0, 19000])).type) // => 'Date32<DAY>'
 */
export function dateDayData(values: Int32Array): Data<DateDay> {
  return makeData({ type: new DateDay(), length: values.length, data: values });
}

/**
 * Float64 data; NaN becomes null.
 *
 * @example
 * float64Data(new Float64Array([1.5, Number.NaN])).nullCount // => 1
 */
export function float64Data(values: Float64Array): Data<Float64> {
  const n = values.length;
  let nullCount = 0;
  for (let i = 0; i < n; i++) if (Number.isNaN(values[i]!)) nullCount++;
  let bitmap: Uint8Array | undefined;
  if (nullCount > 0) {
    bitmap = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) if (!Number.isNaN(values[i]!)) bitmap[i >> 3]! |= 1 << (i & 7);
  }
  return makeData({
    type: new Float64(),
    length: values.length,
    data: values,
    nullCount,
    ...(bitmap ? { nullBitmap: bitmap } : {}),
  });
}

/**
 * Dictionary data over `dictionary`; index -1 becomes null (stored as 0).
 *
 * @example
 * dictionaryData(dictionaryVector(['I', 'II']), new Int32Array([1, -1, 0])).nullCount // => 1
 */
export function dictionaryData(
  type: Dictionary<Utf8, Int32>,
  indices: Int32Array,
  dictionary: Vector<Utf8>,
): Data<Dictionary<Utf8, Int32>> {
  const { bitmap, nullCount } = nullBitmap(indices.length, (i) => indices[i]! < 0);
  const data = nullCount === 0 ? indices : indices.map((v) => Math.max(v, 0));
  return makeData({
    type,
    length: indices.length,
    data,
    dictionary,
    nullCount,
    ...(bitmap ? { nullBitmap: bitmap } : {}),
  });
}

/**
 * Utf8 data from pre-encoded bytes and offsets.
 *
 * @example
 * makeVector(utf8Data(new Int32Array([0, 2, 5]), new TextEncoder().encode('P1P23'))).toArray()
 * // => ['P1', 'P23']
 */
export function utf8Data(offsets: Int32Array, bytes: Uint8Array): Data<Utf8> {
  return makeData({
    type: new Utf8(),
    length: offsets.length - 1,
    valueOffsets: offsets,
    data: bytes,
  });
}

/**
 * Utf8 data from already-encoded strings: concatenates `texts` with their offsets.
 *
 * @param texts - UTF-8 bytes of each value, in row order.
 * @throws nothing.
 * @example
 * makeVector(utf8DataOfEncoded([new TextEncoder().encode('P1')])).toArray() // => ['P1']
 */
export function utf8DataOfEncoded(texts: readonly Uint8Array[]): Data<Utf8> {
  const offsets = new Int32Array(texts.length + 1);
  for (let i = 0; i < texts.length; i++) offsets[i + 1] = offsets[i]! + texts[i]!.length;
  const bytes = new Uint8Array(offsets[texts.length]!);
  for (let i = 0; i < texts.length; i++) bytes.set(texts[i]!, offsets[i]!);
  return utf8Data(offsets, bytes);
}

/**
 * One Arrow record batch of `schema` from its column data (no nulls at the struct level).
 *
 * @param schema - the table schema; `children` follow its field order.
 * @param length - rows in the batch.
 * @param children - one column's data per schema field.
 * @throws nothing.
 * @example
 * recordBatchOf(eventsSchema(), 0, children).numRows // => 0
 */
export function recordBatchOf(schema: Schema, length: number, children: Data[]): RecordBatch {
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }),
  );
}
