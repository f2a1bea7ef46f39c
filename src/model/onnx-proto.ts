/**
 * A minimal ONNX ModelProto writer: the protobuf wire format (varints, length-delimited
 * fields, fixed32 floats) for the handful of messages an inference graph needs, so that the
 * export needs no protobuf dependency. Field numbers follow onnx/onnx.proto (IR version 8).
 */

/** ONNX tensor element types used here (TensorProto.DataType). */
export const ONNX_TYPES = { FLOAT: 1, INT32: 6, INT64: 7 } as const;
export type OnnxElementType = (typeof ONNX_TYPES)[keyof typeof ONNX_TYPES];

/** A node attribute: an integer, a float, or a list of integers. */
export type OnnxAttribute =
  | { readonly name: string; readonly int: number }
  | { readonly name: string; readonly float: number }
  | { readonly name: string; readonly ints: readonly number[] };

export interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly attributes?: readonly OnnxAttribute[];
}

/** A constant of the graph: float32 (a weight) or int64 (e.g. the sizes of a Split). */
export interface OnnxInitializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

/** A graph input or output; a string dimension is symbolic (e.g. the batch 'rows'). */
export interface OnnxValueInfo {
  readonly name: string;
  readonly type: OnnxElementType;
  readonly dims: readonly (number | string)[];
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxInitializer[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

export interface OnnxModelOptions {
  readonly producerName: string;
  readonly producerVersion: string;
  /** Default-domain opset (default 17). */
  readonly opset?: number;
}

const IR_VERSION = 8;

/** Protobuf encoder for one message: append fields, then `bytes()`. */
class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private scratch: number[] = [];

  private flushScratch(): void {
    if (this.scratch.length > 0) {
      this.chunks.push(Uint8Array.from(this.scratch));
      this.scratch = [];
    }
  }

  private varint(value: number): void {
    if (!(Number.isSafeInteger(value) && value >= 0)) {
      throw new RangeError(`protobuf varint out of range: ${value}`);
    }
    let v = value;
    while (v >= 0x80) {
      this.scratch.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.scratch.push(v);
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /** An int32/int64/enum field (non-negative values only). */
  int(field: number, value: number): this {
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  /** A float field (wire type 5, little-endian IEEE 754 single). */
  float(field: number, value: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.scratch.push(...b);
    return this;
  }

  /** A bytes field. */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.varint(value.byteLength);
    this.flushScratch();
    this.chunks.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, fill: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    fill(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    this.flushScratch();
    let length = 0;
    for (const c of this.chunks) length += c.byteLength;
    const out = new Uint8Array(length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  // ValueInfoProto { name = 1; type = 2 } ; TypeProto { tensor_type = 1 };
  // TypeProto.Tensor { elem_type = 1; shape = 2 }; TensorShapeProto { dim = 1 };
  // Dimension { dim_value = 1; dim_param = 2 }
  w.string(1, v.name).message(2, (t) =>
    t.message(1, (tt) =>
      tt.int(1, v.type).message(2, (shape) => {
        for (const d of v.dims) {
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        }
      }),
    ),
  );
}

function writeAttribute(w: ProtoWriter, a: OnnxAttribute): void {
  // AttributeProto { name = 1; f = 2; i = 3; ints = 8; type = 20 } (FLOAT 1, INT 2, INTS 7)
  w.string(1, a.name);
  if ('int' in a) w.int(3, a.int).int(20, 2);
  else if ('float' in a) w.float(2, a.float).int(20, 1);
  else {
    for (const i of a.ints) w.int(8, i);
    w.int(20, 7);
  }
}

function writeNode(w: ProtoWriter, n: OnnxNode): void {
  // NodeProto { input = 1; output = 2; name = 3; op_type = 4; attribute = 5 }
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.op);
  for (const a of n.attributes ?? []) w.message(5, (aw) => writeAttribute(aw, a));
}

function writeInitializer(w: ProtoWriter, t: OnnxInitializer): void {
  // TensorProto { dims = 1; data_type = 2; name = 8; raw_data = 9 } (raw data little-endian)
  const size = t.dims.reduce((a, b) => a * b, 1);
  if (size !== t.data.length) {
    throw new RangeError(`initializer ${t.name}: ${t.data.length} values for dims [${t.dims}]`);
  }
  for (const d of t.dims) w.int(1, d);
  const data = t.data;
  const raw = new Uint8Array(data.byteLength);
  const view = new DataView(raw.buffer);
  if (data instanceof BigInt64Array) {
    w.int(2, ONNX_TYPES.INT64).string(8, t.name);
    for (let i = 0; i < data.length; i++) view.setBigInt64(8 * i, data[i]!, true);
  } else {
    w.int(2, ONNX_TYPES.FLOAT).string(8, t.name);
    for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i]!, true);
  }
  w.bytes(9, raw);
}

/**
 * Serialises an inference graph as an ONNX ModelProto (IR version 8, default-domain opset 17
 * unless given): the bytes of a `.onnx` file any ONNX runtime loads. Throws RangeError on a
 * malformed initializer.
 *
 * @example
 * const bytes = encodeOnnxModel(
 *   { name: 'id', nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }], initializers: [],
 *     inputs: [{ name: 'x', type: ONNX_TYPES.FLOAT, dims: ['rows', 2] }],
 *     outputs: [{ name: 'y', type: ONNX_TYPES.FLOAT, dims: ['rows', 2] }] },
 *   { producerName: 'trajsim', producerVersion: '0.1.0' },
 * ) // => Uint8Array (an ONNX file)
 */
export function encodeOnnxModel(graph: OnnxGraph, options: OnnxModelOptions): Uint8Array {
  // ModelProto { ir_version = 1; producer_name = 2; producer_version = 3; graph = 7;
  //              opset_import = 8 }; OperatorSetIdProto { domain = 1; version = 2 }
  // GraphProto { node = 1; name = 2; initializer = 5; input = 11; output = 12 }
  const w = new ProtoWriter();
  w.int(1, IR_VERSION)
    .string(2, options.producerName)
    .string(3, options.producerVersion)
    .message(7, (g) => {
      for (const n of graph.nodes) g.message(1, (nw) => writeNode(nw, n));
      g.string(2, graph.name);
      for (const t of graph.initializers) g.message(5, (tw) => writeInitializer(tw, t));
      for (const v of graph.inputs) g.message(11, (vw) => writeValueInfo(vw, v));
      for (const v of graph.outputs) g.message(12, (vw) => writeValueInfo(vw, v));
    })
    .message(8, (o) => o.string(1, '').int(2, options.opset ?? 17));
  return w.finish();
}
