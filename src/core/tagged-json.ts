/**
 * Exact JSON for in-memory structures with typed arrays, Maps and non-finite numbers (e.g. a
 * validation summary): generic over the fields, so a structure that gains a field serialises
 * it too. Typed arrays are stored as base64 of their bytes (exact, compact; little-endian as
 * on every platform Node supports; a mostly-zero Float64Array as its non-zero entries), Maps as entry lists in insertion order, NaN, ±Infinity
 * and −0 by name. A tag is an object with one `$`-key; object keys starting with `$` are
 * escaped by doubling the `$`.
 */
import { TrajsimError } from './errors.js';

const TYPED = {
  $f64: Float64Array,
  $f32: Float32Array,
  $i32: Int32Array,
  $u32: Uint32Array,
  $u8: Uint8Array,
} as const;
type TypedTag = keyof typeof TYPED;
type Typed = InstanceType<(typeof TYPED)[TypedTag]>;

function typedTag(v: unknown): TypedTag | undefined {
  for (const [tag, ctor] of Object.entries(TYPED)) if (v instanceof ctor) return tag as TypedTag;
  return undefined;
}

const base64 = (t: Int32Array | Float64Array) =>
  Buffer.from(t.buffer, t.byteOffset, t.byteLength).toString('base64');

/**
 * A mostly-zero Float64Array (a count table over days) as its length and its non-zero entries
 * (`$f64z`: indices and values), when that is under half its dense size; else undefined.
 */
function sparseOf(t: Float64Array): { $f64z: { n: number; i: string; v: string } } | undefined {
  let nonZero = 0;
  for (let k = 0; k < t.length; k++) if (!Object.is(t[k], 0)) nonZero++;
  if (12 * nonZero >= 4 * t.length) return undefined;
  const i = new Int32Array(nonZero);
  const v = new Float64Array(nonZero);
  let j = 0;
  for (let k = 0; k < t.length; k++) {
    if (Object.is(t[k], 0)) continue;
    i[j] = k;
    v[j++] = t[k]!;
  }
  return { $f64z: { n: t.length, i: base64(i), v: base64(v) } };
}

/** The Float64Array of a `$f64z` tag. */
function decodeSparse(z: unknown, path: string): Float64Array {
  const { n, i, v } = (z ?? {}) as { n?: unknown; i?: unknown; v?: unknown };
  if (!(Number.isSafeInteger(n) && (n as number) >= 0)) {
    throw new TrajsimError('INVALID_INPUT', `${path}: $f64z needs a length n`);
  }
  const at = decodeTyped('$i32', i, `${path}.i`) as Int32Array;
  const values = decodeTyped('$f64', v, `${path}.v`) as Float64Array;
  const out = new Float64Array(n as number);
  if (at.length !== values.length) {
    throw new TrajsimError(
      'INVALID_INPUT',
      `${path}: $f64z has ${at.length} indices and ${values.length} values`,
    );
  }
  for (let k = 0; k < at.length; k++) {
    const idx = at[k]!;
    if (!(idx >= 0 && idx < out.length)) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `${path}: $f64z index ${idx} outside 0..${out.length - 1}`,
      );
    }
    out[idx] = values[k]!;
  }
  return out;
}

/**
 * The JSON-ready form of a value (see the module comment). Throws INTERNAL for what JSON
 * cannot carry exactly (functions, symbols, bigints, other typed arrays, class instances).
 *
 * @param value - numbers, strings, booleans, null, arrays, plain objects, Maps, Sets,
 *   Float64/Float32/Int32/Uint32/Uint8 arrays, nested
 * @example
 * encodeTagged({ n: Number.NaN, t: Int32Array.of(1) }) // => { n: { $num: 'NaN' }, t: { $i32: 'AQAAAA==' } }
 */
export function encodeTagged(value: unknown): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (value === undefined) return { $undef: 1 };
  if (typeof value === 'number') {
    if (Number.isFinite(value) && !Object.is(value, -0)) return value;
    return { $num: Object.is(value, -0) ? '-0' : String(value) };
  }
  if (value instanceof Float64Array) {
    const sparse = sparseOf(value);
    if (sparse) return sparse;
  }
  const tag = typedTag(value);
  if (tag) {
    const t = value as Typed;
    return { [tag]: Buffer.from(t.buffer, t.byteOffset, t.byteLength).toString('base64') };
  }
  if (Array.isArray(value)) return value.map(encodeTagged);
  if (value instanceof Map) {
    return { $map: [...value].map(([k, v]) => [encodeTagged(k), encodeTagged(v)]) };
  }
  if (value instanceof Set) return { $set: [...value].map(encodeTagged) };
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      out[k.startsWith('$') ? `$${k}` : k] = encodeTagged(v);
    }
    return out;
  }
  throw new TrajsimError('INTERNAL', `encodeTagged: cannot serialise a ${typeof value} exactly`);
}

function decodeTyped(tag: TypedTag, text: unknown, path: string): Typed {
  if (typeof text !== 'string') {
    throw new TrajsimError('INVALID_INPUT', `${path}: ${tag} needs a base64 string`);
  }
  const bytes = Buffer.from(text, 'base64');
  const ctor = TYPED[tag];
  if (bytes.length % ctor.BYTES_PER_ELEMENT !== 0) {
    throw new TrajsimError('INVALID_INPUT', `${path}: ${tag} has ${bytes.length} bytes`);
  }
  const copy = new Uint8Array(bytes.length); // aligned copy
  copy.set(bytes);
  return new ctor(copy.buffer, 0, bytes.length / ctor.BYTES_PER_ELEMENT);
}

/**
 * The value {@link encodeTagged} encoded: decodeTagged(encodeTagged(v)) equals v exactly.
 * Throws INVALID_INPUT naming the path of a malformed tag.
 *
 * @param json - the parsed JSON
 * @param path - where it is, for messages (default '$')
 * @example
 * decodeTagged({ $f64: 'AAAAAAAA+H8=' }) // => Float64Array [NaN]
 */
export function decodeTagged(json: unknown, path = '$'): unknown {
  if (json === null || typeof json !== 'object') return json;
  if (Array.isArray(json)) return json.map((v, i) => decodeTagged(v, `${path}[${i}]`));
  const entries = Object.entries(json as Record<string, unknown>);
  if (entries.length === 1) {
    const [k, v] = entries[0]!;
    if (k in TYPED) return decodeTyped(k as TypedTag, v, path);
    if (k === '$f64z') return decodeSparse(v, path);
    if (k === '$num') return v === '-0' ? -0 : Number(v);
    if (k === '$undef') return undefined;
    if (k === '$map' || k === '$set') {
      if (!Array.isArray(v)) throw new TrajsimError('INVALID_INPUT', `${path}: ${k} needs a list`);
      if (k === '$set') return new Set(v.map((x, i) => decodeTagged(x, `${path}[${i}]`)));
      return new Map(
        v.map((pair, i) => {
          if (!Array.isArray(pair) || pair.length !== 2) {
            throw new TrajsimError('INVALID_INPUT', `${path}[${i}]: a map entry is [key, value]`);
          }
          return [
            decodeTagged(pair[0], `${path}[${i}][0]`),
            decodeTagged(pair[1], `${path}[${i}][1]`),
          ];
        }),
      );
    }
    if (k.startsWith('$') && !k.startsWith('$$')) {
      throw new TrajsimError('INVALID_INPUT', `${path}: unknown tag ${k}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    const key = k.startsWith('$$') ? k.slice(1) : k;
    if (key === '__proto__') throw new TrajsimError('INVALID_INPUT', `${path}: key __proto__`);
    out[key] = decodeTagged(v, `${path}.${key}`);
  }
  return out;
}
