// Over 400 lines on purpose: the three graphs (start, step, gap) read one weight layout through
// one builder; split over files, each graph would repeat the layout it has to agree with.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrajsimError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import {
  attributeGateWidth,
  type GruShape,
  gapOutputWidth,
  gruShapeOf,
  type WeightSpec,
} from './gru-shape.js';
import type { ModelManifest } from './manifest.js';
import {
  encodeOnnxModel,
  ONNX_TYPES,
  type OnnxGraph,
  type OnnxInitializer,
  type OnnxNode,
} from './onnx-proto.js';

/**
 * The inference graph of a GRU model as three ONNX graphs, one per stage of generation, in
 * the model folder's `onnx/` subfolder:
 *
 * - `start.onnx`: `attributes` [rows, A] → `attribute_gates` [rows, 3H], `state_l` [rows, H]
 *   (h0 = tanh(a·A_l + c_l)) for every layer l;
 * - `step.onnx`: `prev_code` int32 [rows] (V = beginning of sequence), `time` [rows, 2]
 *   (log1p(previous gap days) / 8, log1p(days since index) / 8), `attribute_gates`,
 *   `state_l` → `code_probs` [rows, V], `state_out_l`;
 * - `gap.onnx`: `state` [rows, H] (the top layer after the step), `code` int32 [rows] →
 *   `gap_params` [rows, P]: the gap head for one drawn code per row (bin probabilities, or
 *   the raw mixture parameters), sampled in TypeScript like the tfjs engine's.
 * - models with values (manifest `values`): `step.onnx` also takes `value` [rows, 2] (the
 *   previous event's standardised value, has-value flag); `gap.onnx` also takes `prev_value`
 *   [rows, 2] (the last value of the drawn code, had-one flag) and outputs `value_probs`
 *   [rows, W] (see value-spec.ts).
 * - models with an attribute skip (manifest `attributeSkip: 1`): `attribute_gates` is
 *   [rows, 3H + V + G] = a·[Ax | Sc | Sg], computed once per patient by `start.onnx`;
 *   `step.onnx` adds its V columns to the code logits, and `gap.onnx` also takes
 *   `attribute_gates` and adds its last G columns to the gap head's hidden layer.
 *
 * Standard ops only (Gather, MatMul, Gemm, Add, Sub, Mul, Sigmoid, Tanh, Split, Softmax),
 * opset 17; the weights are those of weights.bin (see GruNetwork for the equations).
 */
export const ONNX_FILES = {
  DIR: 'onnx',
  START: 'start.onnx',
  STEP: 'step.onnx',
  GAP: 'gap.onnx',
} as const;

/** The three exported graphs as ONNX file bytes. */
export interface OnnxModelFiles {
  readonly start: Uint8Array;
  readonly step: Uint8Array;
  readonly gap: Uint8Array;
}

const ROWS = 'rows';

class Weights {
  constructor(
    private readonly specs: readonly WeightSpec[],
    private readonly data: Float32Array,
  ) {}

  get(name: string, rowsFrom = 0, rowsTo?: number): OnnxInitializer {
    const spec = this.specs.find((s) => s.name === name);
    if (!spec) throw new TrajsimError('MODEL', `weight '${name}' is missing`);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const cols = spec.shape.length > 1 ? spec.shape[1]! : 1;
    const to = rowsTo ?? spec.shape[0]!;
    const all = this.data.subarray(spec.offset, spec.offset + size);
    const part = spec.shape.length > 1 ? all.subarray(rowsFrom * cols, to * cols) : all;
    const dims = spec.shape.length > 1 ? [to - rowsFrom, cols] : [spec.shape[0]!];
    const suffix = rowsFrom > 0 || to !== spec.shape[0] ? `[${rowsFrom}:${to}]` : '';
    return { name: `${name}${suffix}`, dims, data: Float32Array.from(part) };
  }
}

function float(name: string, dims: readonly (number | string)[]) {
  return { name, type: ONNX_TYPES.FLOAT, dims } as const;
}

function int32(name: string, dims: readonly (number | string)[]) {
  return { name, type: ONNX_TYPES.INT32, dims } as const;
}

/** Builds nodes with unique intermediate names. */
class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxInitializer[] = [];
  private counter = 0;

  weight(w: OnnxInitializer): string {
    this.initializers.push(w);
    return w.name;
  }

  op(op: string, inputs: readonly string[], attributes?: OnnxNode['attributes'], out?: string) {
    const output = out ?? `${op.toLowerCase()}_${++this.counter}`;
    this.nodes.push({
      op,
      inputs,
      outputs: [output],
      name: output,
      ...(attributes ? { attributes } : {}),
    });
    return output;
  }

  split3(input: string): [string, string, string] {
    const id = ++this.counter;
    const outs: [string, string, string] = [
      `${input}_z${id}`,
      `${input}_r${id}`,
      `${input}_n${id}`,
    ];
    this.nodes.push({
      op: 'Split',
      inputs: [input],
      outputs: outs,
      name: `split_${id}`,
      attributes: [{ name: 'axis', int: 1 }],
    });
    return outs;
  }
}

/** One GRU cell (reset-after): the same equations as GruNetwork's cell. */
function gruCell(b: GraphBuilder, l: number, gx: string, h: string, w: Weights, out: string) {
  const U = b.weight(w.get(`gru_${l}/recurrent_kernel`));
  const bh = b.weight(w.get(`gru_${l}/recurrent_bias`));
  const gh = b.op('Gemm', [h, U, bh]);
  const [xz, xr, xn] = b.split3(gx);
  const [hz, hr, hn] = b.split3(gh);
  const z = b.op('Sigmoid', [b.op('Add', [xz, hz])]);
  const r = b.op('Sigmoid', [b.op('Add', [xr, hr])]);
  const n = b.op('Tanh', [b.op('Add', [xn, b.op('Mul', [r, hn])])]);
  return b.op('Add', [n, b.op('Mul', [z, b.op('Sub', [h, n])])], undefined, out);
}

/** The [A, 3H + V + G] kernel a·[Ax | Sc | Sg] of a model with an attribute skip. */
function skipGateKernel(shape: GruShape, w: Weights): OnnxInitializer {
  const parts = ['gru_0/attribute_kernel', 'skip/code_kernel', 'skip/gap_kernel'].map((n) =>
    w.get(n),
  );
  const A = shape.attributeWidth;
  const width = attributeGateWidth(shape);
  const data = new Float32Array(A * width);
  for (let i = 0; i < A; i++) {
    let at = i * width;
    for (const p of parts) {
      const cols = p.dims[1]!;
      data.set(p.data.subarray(i * cols, (i + 1) * cols) as Float32Array, at);
      at += cols;
    }
  }
  return { name: 'attribute_gates/kernel', dims: [A, width], data };
}

/**
 * A skip model's `attribute_gates` split into layer 0's input gates, the code-logit offsets
 * and the gap head's offsets (node names).
 */
function splitSkipGates(b: GraphBuilder, shape: GruShape): [string, string, string] {
  const { hidden: H, vocabularySize: V, gapHidden: G } = shape;
  const sizes = b.weight({
    name: 'attribute_gates/split',
    dims: [3],
    data: BigInt64Array.of(BigInt(3 * H), BigInt(V), BigInt(G)),
  });
  const outs: [string, string, string] = ['gates_input', 'gates_code', 'gates_gap'];
  b.nodes.push({
    op: 'Split',
    inputs: ['attribute_gates', sizes],
    outputs: outs,
    name: 'split_attribute_gates',
    attributes: [{ name: 'axis', int: 1 }],
  });
  return outs;
}

function startGraph(shape: GruShape, w: Weights): OnnxGraph {
  const b = new GraphBuilder();
  const { attributeWidth: A, hidden: H, layers: L } = shape;
  const gatesKernel = shape.attributeSkip
    ? skipGateKernel(shape, w)
    : w.get('gru_0/attribute_kernel');
  b.op('MatMul', ['attributes', b.weight(gatesKernel)], undefined, 'attribute_gates');
  for (let l = 0; l < L; l++) {
    const pre = b.op('Gemm', [
      'attributes',
      b.weight(w.get(`h0_${l}/kernel`)),
      b.weight(w.get(`h0_${l}/bias`)),
    ]);
    b.op('Tanh', [pre], undefined, `state_${l}`);
  }
  return {
    name: 'trajsim_start',
    nodes: b.nodes,
    initializers: b.initializers,
    inputs: [float('attributes', [ROWS, A])],
    outputs: [
      float('attribute_gates', [ROWS, attributeGateWidth(shape)]),
      ...Array.from({ length: L }, (_, l) => float(`state_${l}`, [ROWS, H])),
    ],
  };
}

function stepGraph(shape: GruShape, w: Weights): OnnxGraph {
  const b = new GraphBuilder();
  const { vocabularySize: V, hidden: H, layers: L } = shape;
  // Layer 0's input x = [one-hot(prev code over V + 1), gap, day]: a row gather for the
  // one-hot part, a [rows, 2] × [2, 3H] product for the two time features.
  const codeRows = b.weight(w.get('gru_0/kernel', 0, V + 1));
  const timeRows = b.weight(w.get('gru_0/kernel', V + 1, V + 3));
  let x0 = b.op('Add', [
    b.op('Gather', [codeRows, 'prev_code'], [{ name: 'axis', int: 0 }]),
    b.op('MatMul', ['time', timeRows]),
  ]);
  // Models with values: the previous event's [standardised value, has-value] as a [rows, 2] input.
  if (shape.valueHead) {
    x0 = b.op('Add', [
      x0,
      b.op('MatMul', ['value', b.weight(w.get('gru_0/kernel', V + 3, V + 5))]),
    ]);
  }
  const skip = shape.attributeSkip ? splitSkipGates(b, shape) : undefined;
  const gx0 = b.op('Add', [
    b.op('Add', [x0, b.weight(w.get('gru_0/input_bias'))]),
    skip ? skip[0] : 'attribute_gates',
  ]);
  let input = gruCell(b, 0, gx0, 'state_0', w, 'state_out_0');
  for (let l = 1; l < L; l++) {
    const gx = b.op('Gemm', [
      input,
      b.weight(w.get(`gru_${l}/kernel`)),
      b.weight(w.get(`gru_${l}/input_bias`)),
    ]);
    input = gruCell(b, l, gx, `state_${l}`, w, `state_out_${l}`);
  }
  let logits = b.op('Gemm', [
    input,
    b.weight(w.get('code_head/kernel')),
    b.weight(w.get('code_head/bias')),
  ]);
  if (skip) logits = b.op('Add', [logits, skip[1]]);
  b.op('Softmax', [logits], [{ name: 'axis', int: 1 }], 'code_probs');
  return {
    name: 'trajsim_step',
    nodes: b.nodes,
    initializers: b.initializers,
    inputs: [
      int32('prev_code', [ROWS]),
      float('time', [ROWS, 2]),
      ...(shape.valueHead ? [float('value', [ROWS, 2])] : []),
      float('attribute_gates', [ROWS, attributeGateWidth(shape)]),
      ...Array.from({ length: L }, (_, l) => float(`state_${l}`, [ROWS, H])),
    ],
    outputs: [
      float('code_probs', [ROWS, V]),
      ...Array.from({ length: L }, (_, l) => float(`state_out_${l}`, [ROWS, H])),
    ],
  };
}

function gapGraph(shape: GruShape, w: Weights): OnnxGraph {
  const b = new GraphBuilder();
  let fromState = b.op('Gemm', [
    'state',
    b.weight(w.get('gap_head/state_kernel')),
    b.weight(w.get('gap_head/bias')),
  ]);
  if (shape.attributeSkip) fromState = b.op('Add', [fromState, splitSkipGates(b, shape)[2]]);
  const fromCode = b.op(
    'Gather',
    [b.weight(w.get('gap_head/code_kernel')), 'code'],
    [{ name: 'axis', int: 0 }],
  );
  const g = b.op('Tanh', [b.op('Add', [fromState, fromCode])]);
  const params = b.op(
    'Gemm',
    [g, b.weight(w.get('gap_out/kernel')), b.weight(w.get('gap_out/bias'))],
    undefined,
    shape.gapBinEdges ? undefined : 'gap_params',
  );
  // Binned head: the bin probabilities (the softmax the sampler would otherwise take per draw).
  if (shape.gapBinEdges) b.op('Softmax', [params], [{ name: 'axis', int: 1 }], 'gap_params');
  const vh = shape.valueHead;
  if (vh) valueNodes(b, shape, w);
  return {
    name: 'trajsim_gap',
    nodes: b.nodes,
    initializers: b.initializers,
    inputs: [
      float('state', [ROWS, shape.hidden]),
      int32('code', [ROWS]),
      ...(vh ? [float('prev_value', [ROWS, 2])] : []),
      ...(shape.attributeSkip ? [float('attribute_gates', [ROWS, attributeGateWidth(shape)])] : []),
    ],
    outputs: [
      float('gap_params', [ROWS, gapOutputWidth(shape)]),
      ...(vh ? [float('value_probs', [ROWS, vh.width])] : []),
    ],
  };
}

/**
 * The value head in the gap graph (models with values): `prev_value` [rows, 2] (the last
 * standardised value of the drawn code and a had-one flag) → `value_probs` [rows, W] =
 * softmax(tanh(state·Vh + Vc[code] + prev·Vp + bv)·Vo + vo + mask[code]).
 */
function valueNodes(b: GraphBuilder, shape: GruShape, w: Weights): void {
  const vh = shape.valueHead!;
  const axis0 = [{ name: 'axis', int: 0 }];
  const fromState = b.op('Gemm', [
    'state',
    b.weight(w.get('value_head/state_kernel')),
    b.weight(w.get('value_head/bias')),
  ]);
  const fromCode = b.op('Gather', [b.weight(w.get('value_head/code_kernel')), 'code'], axis0);
  const fromPrev = b.op('MatMul', ['prev_value', b.weight(w.get('value_head/prev_kernel'))]);
  const g = b.op('Tanh', [b.op('Add', [b.op('Add', [fromState, fromCode]), fromPrev])]);
  const logits = b.op('Gemm', [
    g,
    b.weight(w.get('value_out/kernel')),
    b.weight(w.get('value_out/bias')),
  ]);
  const mask = b.weight({
    name: 'value_head/mask',
    dims: [shape.vocabularySize, vh.width],
    data: Float32Array.from(vh.mask),
  });
  const masked = b.op('Add', [logits, b.op('Gather', [mask, 'code'], axis0)]);
  b.op('Softmax', [masked], [{ name: 'axis', int: 1 }], 'value_probs');
}

/**
 * Exports a GRU model's inference graph (see {@link ONNX_FILES}) as ONNX bytes, from its
 * manifest and weights.bin contents; no tensors are created. Throws MODEL for a model that is
 * not a GRU or whose weights do not match its manifest.
 *
 * @example
 * const { manifest, weights } = loadModel('models/default');
 * exportOnnx(manifest, weights!).step // => Uint8Array (an ONNX file)
 */
export function exportOnnx(manifest: ModelManifest, weights: Float32Array): OnnxModelFiles {
  if (manifest.kind !== 'gru' || !manifest.weights) {
    throw new TrajsimError('MODEL', `a ${manifest.kind} model has no network to export to ONNX`);
  }
  return exportOnnxGraphs(gruShapeOf(manifest), manifest.weights, weights);
}

/**
 * {@link exportOnnx} from a network's shape and weights (as GruNetwork.exportWeights gives
 * them). Throws MODEL when a weight is missing.
 *
 * @example
 * const { specs, data } = net.exportWeights();
 * exportOnnxGraphs(net.shape, specs, data).gap // => Uint8Array
 */
export function exportOnnxGraphs(
  shape: GruShape,
  specs: readonly WeightSpec[],
  data: Float32Array,
): OnnxModelFiles {
  const w = new Weights(specs, data);
  const options = { producerName: 'trajsim', producerVersion: VERSION };
  return {
    start: encodeOnnxModel(startGraph(shape, w), options),
    step: encodeOnnxModel(stepGraph(shape, w), options),
    gap: encodeOnnxModel(gapGraph(shape, w), options),
  };
}

/**
 * Writes the ONNX files of {@link exportOnnx} into `modelDir/onnx/` (each file written to a
 * temporary name, then renamed). Returns the paths written. Throws IO when the folder
 * cannot be written.
 *
 * @example
 * writeOnnxFiles('models/default', exportOnnx(manifest, weights))
 * // => ['models/default/onnx/start.onnx', 'models/default/onnx/step.onnx', 'models/default/onnx/gap.onnx']
 */
export function writeOnnxFiles(modelDir: string, files: OnnxModelFiles): string[] {
  const dir = join(modelDir, ONNX_FILES.DIR);
  const entries = [
    [ONNX_FILES.START, files.start],
    [ONNX_FILES.STEP, files.step],
    [ONNX_FILES.GAP, files.gap],
  ] as const;
  try {
    mkdirSync(dir, { recursive: true });
    return entries.map(([name, bytes]) => {
      const path = join(dir, name);
      const tmp = `${path}.tmp-${process.pid}`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, path);
      return path;
    });
  } catch (cause) {
    throw new TrajsimError('IO', `cannot write the ONNX files into ${dir}`, { cause });
  }
}
