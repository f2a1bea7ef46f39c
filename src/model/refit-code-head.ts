// Over 400 lines on purpose: the refit is one convex fit (collect the logits, Newton with its
// gradient, Hessian and Cholesky solve) and its three entry points (weights, manifest, folder)
// share its types; each function is short. The code head's linear part is refitted by maximum
// likelihood after training, with the hidden states fixed (issue 17, docs/attributes.md).
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../core/atomic-output.js';
import { TrajsimError } from '../core/errors.js';
import { codeHeadRefitDataMismatch, codeHeadRefitNotGru } from '../core/messages.js';
import { readTimeline, readTimelineManifest } from '../timeline/read.js';
import type { Timeline } from '../timeline/types.js';
import { encodeTimelineForGru, recordedMaxSteps } from './encode-timeline.js';
import { GruNetwork } from './gru-network.js';
import { type GruShape, gruShapeOf, type WeightSpec } from './gru-shape.js';
import {
  MODEL_FILES,
  type ModelManifest,
  readModelManifest,
  readModelWeights,
} from './manifest.js';
import { exportOnnx, writeOnnxFiles } from './onnx-export.js';
import { type EncodedTimeline, makeSequenceBatch, sequenceLength } from './sequence-batches.js';
import { trainingSplit } from './training-summary.js';

/** Options of {@link refitCodeHead}. */
export interface CodeHeadRefitOptions {
  /** Stop when every |observed − expected| ÷ √observed (per parameter) is below this (0.01). */
  readonly tolerance?: number;
  /** Most Newton iterations (100). */
  readonly maxIterations?: number;
  /** Ridge on the change of the refitted weights (1e-3 nats⁻¹: only pins unidentified directions). */
  readonly ridge?: number;
  /** Rows per teacher-forced batch (256; the result does not depend on it). */
  readonly batchSize?: number;
}

/** What a refit changed and how far it got (recorded in the manifest's metrics). */
export interface CodeHeadRefitReport {
  /** Code NLL per event on the fitted rows before and after (nats). */
  readonly trainCodeNllBefore: number;
  readonly trainCodeNllAfter: number;
  /** The same on the evaluation rows (the validation split; null when there are none). */
  readonly validationCodeNllBefore: number | null;
  readonly validationCodeNllAfter: number | null;
  readonly iterations: number;
  /** Largest |observed − expected| ÷ √max(1, observed) over the refitted parameters at the end. */
  readonly maxScore: number;
  /** Refitted parameters: the code bias, plus the skip's code kernel when the model has one. */
  readonly parameters: number;
}

/** The teacher-forced code logits of some rows, grouped by patient. */
interface CollectedLogits {
  /** [steps, V] logits of every real step, patient after patient. */
  readonly logits: Float32Array;
  /** [steps] index of the observed code. */
  readonly target: Int32Array;
  /** [patients + 1] first step of each patient. */
  readonly start: Int32Array;
  /** The patients' timeline rows, in the order of `start`. */
  readonly rows: Int32Array;
}

/** Runs the network over `rows` (teacher forced) and keeps each real step's logits and target. */
function collectLogits(
  net: GruNetwork,
  data: EncodedTimeline,
  rows: Int32Array,
  maxSteps: number,
  batchSize: number,
): CollectedLogits {
  const V = data.vocabularySize;
  const order = Int32Array.from(rows).sort(
    (a, b) =>
      sequenceLength(data.timeline, a, maxSteps) - sequenceLength(data.timeline, b, maxSteps) ||
      a - b,
  );
  let total = 0;
  for (const p of order) total += sequenceLength(data.timeline, p, maxSteps);
  const logits = new Float32Array(total * V);
  const target = new Int32Array(total);
  const start = new Int32Array(order.length + 1);
  let k = 0;
  for (let i = 0; i < order.length; i += batchSize) {
    const batch = makeSequenceBatch(data, order.subarray(i, i + batchSize), maxSteps);
    const out = tf.tidy(() => net.teacherForcedCodeLogits(batch).dataSync() as Float32Array);
    for (let r = 0; r < batch.rows; r++) {
      for (let s = 0; s < batch.steps; s++) {
        const j = r * batch.steps + s;
        if (batch.mask[j] === 0) continue;
        logits.set(out.subarray(j * V, (j + 1) * V), k * V);
        let y = 0;
        while (batch.targetCodes[j * V + y] === 0) y++;
        target[k++] = y;
      }
      start[i + r + 1] = k;
    }
  }
  return { logits, target, start, rows: order };
}

/**
 * The design row z of every collected patient, [patients, D]: 1 (the bias), then with a skip
 * the encoded attributes (the skip's code kernel multiplies them).
 */
function designRows(c: CollectedLogits, data: EncodedTimeline, skip: boolean): Float64Array {
  const A = data.attributeWidth;
  const D = skip ? A + 1 : 1;
  const z = new Float64Array(c.rows.length * D);
  for (let i = 0; i < c.rows.length; i++) {
    z[i * D] = 1;
    for (let a = 0; skip && a < A; a++) z[i * D + 1 + a] = data.attributes[c.rows[i]! * A + a]!;
  }
  return z;
}

/** Fills `p` with softmax(logits[k] + offset) and returns its log-normaliser. */
function softmaxInto(logits: Float32Array, k: number, offset: Float64Array, p: Float64Array) {
  const V = offset.length;
  let max = Number.NEGATIVE_INFINITY;
  for (let v = 0; v < V; v++) {
    p[v] = logits[k * V + v]! + offset[v]!;
    if (p[v]! > max) max = p[v]!;
  }
  let sum = 0;
  for (let v = 0; v < V; v++) {
    p[v] = Math.exp(p[v]! - max);
    sum += p[v]!;
  }
  for (let v = 0; v < V; v++) p[v]! /= sum;
  return max + Math.log(sum);
}

/** Patient i's logit offset z_i·Θ ([V]). */
function patientOffset(
  z: Float64Array,
  i: number,
  D: number,
  theta: Float64Array,
  out: Float64Array,
) {
  const V = out.length;
  out.fill(0);
  for (let d = 0; d < D; d++) {
    const zd = z[i * D + d]!;
    if (zd === 0) continue;
    for (let v = 0; v < V; v++) out[v]! += zd * theta[d * V + v]!;
  }
}

/** Σ log P(observed code) over the collected steps with the offsets Θ (float64). */
function logLikelihood(
  c: CollectedLogits,
  z: Float64Array,
  D: number,
  V: number,
  theta: Float64Array,
) {
  const offset = new Float64Array(V);
  const p = new Float64Array(V);
  let ll = 0;
  for (let i = 0; i + 1 < c.start.length; i++) {
    patientOffset(z, i, D, theta, offset);
    for (let k = c.start[i]!; k < c.start[i + 1]!; k++) {
      const lse = softmaxInto(c.logits, k, offset, p);
      ll += c.logits[k * V + c.target[k]!]! + offset[c.target[k]!]! - lse;
    }
  }
  return ll;
}

/**
 * Gradient G = Σ z ⊗ (y − p) and Hessian H = Σ z zᵀ ⊗ (diag p − p pᵀ) of the log-likelihood
 * in Θ ([D·V], index d·V + v); the per-step sums are taken per patient first (z is constant
 * over a patient's steps).
 */
function gradientAndHessian(
  c: CollectedLogits,
  z: Float64Array,
  D: number,
  V: number,
  theta: Float64Array,
) {
  const n = D * V;
  const grad = new Float64Array(n);
  const hess = new Float64Array(n * n);
  const offset = new Float64Array(V);
  const p = new Float64Array(V);
  const g = new Float64Array(V);
  const m = new Float64Array(V * V);
  const nz: number[] = [];
  for (let i = 0; i + 1 < c.start.length; i++) {
    patientOffset(z, i, D, theta, offset);
    g.fill(0);
    m.fill(0);
    for (let k = c.start[i]!; k < c.start[i + 1]!; k++) {
      softmaxInto(c.logits, k, offset, p);
      g[c.target[k]!]! += 1;
      for (let v = 0; v < V; v++) {
        g[v]! -= p[v]!;
        m[v * V + v]! += p[v]!;
        for (let w = 0; w < V; w++) m[v * V + w]! -= p[v]! * p[w]!;
      }
    }
    nz.length = 0;
    for (let d = 0; d < D; d++) if (z[i * D + d] !== 0) nz.push(d);
    for (const d of nz) {
      const zd = z[i * D + d]!;
      for (let v = 0; v < V; v++) grad[d * V + v]! += zd * g[v]!;
      for (const e of nz) {
        const zz = zd * z[i * D + e]!;
        for (let v = 0; v < V; v++) {
          const row = (d * V + v) * n + e * V;
          for (let w = 0; w < V; w++) hess[row + w]! += zz * m[v * V + w]!;
        }
      }
    }
  }
  return { grad, hess };
}

/** Solves (a) x = b in place for a symmetric positive definite a ([n·n], Cholesky). */
function choleskySolve(a: Float64Array, b: Float64Array): Float64Array {
  const n = b.length;
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let s = a[j * n + j]!;
    for (let k = 0; k < j; k++) s -= l[j * n + k]! * l[j * n + k]!;
    if (!(s > 0)) throw new TrajsimError('INTERNAL', 'code-head refit: Hessian not positive');
    const d = Math.sqrt(s);
    l[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let t = a[i * n + j]!;
      for (let k = 0; k < j; k++) t -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = t / d;
    }
  }
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < i; k++) x[i]! -= l[i * n + k]! * x[k]!;
    x[i]! /= l[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let k = i + 1; k < n; k++) x[i]! -= l[k * n + i]! * x[k]!;
    x[i]! /= l[i * n + i]!;
  }
  return x;
}

/** √max(1, Σ z_d² · observed count of v) per parameter: the scale of its score. */
function scoreScales(c: CollectedLogits, z: Float64Array, D: number, V: number): Float64Array {
  const scale = new Float64Array(D * V);
  for (let i = 0; i + 1 < c.start.length; i++) {
    for (let k = c.start[i]!; k < c.start[i + 1]!; k++) {
      for (let d = 0; d < D; d++) scale[d * V + c.target[k]!]! += z[i * D + d]! ** 2;
    }
  }
  return scale.map((s) => Math.sqrt(Math.max(1, s)));
}

/**
 * Damped Newton on the ridge-penalised log-likelihood ll(Θ) − ridge/2 · |Θ|² of the logit
 * offsets z·Θ, from Θ = 0, until every score |G| ÷ scale is below the tolerance.
 */
function newtonFit(
  c: CollectedLogits,
  z: Float64Array,
  D: number,
  V: number,
  o: Required<CodeHeadRefitOptions>,
) {
  const n = D * V;
  let theta = new Float64Array(n);
  const scale = scoreScales(c, z, D, V);
  const penalised = (t: Float64Array) =>
    logLikelihood(c, z, D, V, t) - (o.ridge / 2) * t.reduce((s, x) => s + x * x, 0);
  let f = penalised(theta);
  let iterations = 0;
  let maxScore = Number.POSITIVE_INFINITY;
  for (;;) {
    const { grad, hess } = gradientAndHessian(c, z, D, V, theta);
    maxScore = 0;
    for (let j = 0; j < n; j++) maxScore = Math.max(maxScore, Math.abs(grad[j]!) / scale[j]!);
    if (maxScore < o.tolerance || iterations >= o.maxIterations) break;
    iterations++;
    for (let j = 0; j < n; j++) {
      grad[j]! -= o.ridge * theta[j]!;
      hess[j * n + j]! += o.ridge;
    }
    const step = choleskySolve(hess, grad);
    let t = 1;
    let moved = false;
    for (let halving = 0; halving < 40 && !moved; halving++, t /= 2) {
      const trial = theta.map((x, j) => x + t * step[j]!);
      const ft = penalised(trial);
      if (ft >= f) {
        theta = trial;
        f = ft;
        moved = true;
      }
    }
    if (!moved) break; // at the optimum to float64 precision
  }
  return { theta, iterations, maxScore };
}

const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Mean −log P(observed code) per step of the collected rows with the offsets Θ. */
function meanCodeNll(
  c: CollectedLogits,
  z: Float64Array,
  D: number,
  V: number,
  theta: Float64Array,
) {
  const steps = c.target.length;
  return steps === 0 ? Number.NaN : -logLikelihood(c, z, D, V, theta) / steps;
}

/** A weight's [offset, size] in weights.bin; throws MODEL when it is missing. */
function weightRange(specs: readonly WeightSpec[], name: string): [number, number] {
  const spec = specs.find((s) => s.name === name);
  if (!spec) throw new TrajsimError('MODEL', `weight '${name}' is missing`);
  return [spec.offset, spec.shape.reduce((a, b) => a * b, 1)];
}

/**
 * Refits the code head's linear part by maximum likelihood with the network's hidden states
 * fixed: on the fitted rows, teacher forced, the code logits are h_t·Wc + bc (+ a·Sc with an
 * attribute skip); bc (and Sc) get the change Θ that maximises Σ log P(observed code) — a convex
 * multinomial-logistic problem with offsets h_t·Wc, solved by damped Newton in float64. At the
 * optimum the score equations say Σ_t P_t(c) = observed count of c on the fitted rows for
 * every code (the bias), and with a skip also within every one-hot attribute level (and Σ a·P
 * = Σ a·observed for numeric columns). The gap and value heads do not depend on bc or Sc.
 * Deterministic (fixed order of every sum).
 *
 * @param shape - the network's shape.
 * @param specs - the weights' layout (manifest.weights).
 * @param weights - the trained weights (not modified).
 * @param data - the encoded training timeline.
 * @param fitRows - the rows to fit on (the training split, never the validation rows).
 * @param evalRows - rows on which the code NLL is reported before and after (may be empty).
 * @param maxSteps - steps per patient (the model's maxSteps).
 * @returns the new weights (a copy; only code_head/bias and skip/code_kernel differ) and a report.
 * @throws TrajsimError MODEL when the weights do not match the shape; INTERNAL when Newton fails.
 * @example
 * const { weights: refit, report } = refitCodeHead(shape, manifest.weights, weights, data, train, validation, 256);
 * report.trainCodeNllAfter <= report.trainCodeNllBefore // => true
 */
export function refitCodeHead(
  shape: GruShape,
  specs: readonly WeightSpec[],
  weights: Float32Array,
  data: EncodedTimeline,
  fitRows: Int32Array,
  evalRows: Int32Array,
  maxSteps: number,
  options: CodeHeadRefitOptions = {},
): { weights: Float32Array; report: CodeHeadRefitReport } {
  const o: Required<CodeHeadRefitOptions> = {
    tolerance: options.tolerance ?? 0.01,
    maxIterations: options.maxIterations ?? 100,
    ridge: options.ridge ?? 1e-3,
    batchSize: options.batchSize ?? 256,
  };
  const V = shape.vocabularySize;
  const skip = shape.attributeSkip === true;
  const D = skip ? shape.attributeWidth + 1 : 1;
  const net = GruNetwork.fromWeights(shape, specs, weights);
  let fit: CollectedLogits;
  let held: CollectedLogits;
  try {
    fit = collectLogits(net, data, fitRows, maxSteps, o.batchSize);
    held = collectLogits(net, data, evalRows, maxSteps, o.batchSize);
  } finally {
    net.dispose();
  }
  const zFit = designRows(fit, data, skip);
  const zHeld = designRows(held, data, skip);
  const zero = new Float64Array(D * V);
  const { theta, iterations, maxScore } = newtonFit(fit, zFit, D, V, o);
  const out = Float32Array.from(weights);
  const [bias] = weightRange(specs, 'code_head/bias');
  for (let v = 0; v < V; v++) out[bias + v] = out[bias + v]! + theta[v]!;
  if (skip) {
    const [kernel] = weightRange(specs, 'skip/code_kernel');
    for (let j = V; j < D * V; j++) out[kernel + j - V] = out[kernel + j - V]! + theta[j]!;
  }
  return {
    weights: out,
    report: {
      trainCodeNllBefore: meanCodeNll(fit, zFit, D, V, zero),
      trainCodeNllAfter: meanCodeNll(fit, zFit, D, V, theta),
      validationCodeNllBefore: orNull(meanCodeNll(held, zHeld, D, V, zero)),
      validationCodeNllAfter: orNull(meanCodeNll(held, zHeld, D, V, theta)),
      iterations,
      maxScore,
      parameters: D * V,
    },
  };
}

/**
 * The manifest of a model whose code head was refitted: hyperparameters.codeHeadRefit = 1,
 * metrics.codeHeadRefit = the report, and the validation NLLs moved by the change of the
 * validation code NLL (the gap and value heads are unchanged).
 *
 * @param manifest - the manifest before the refit.
 * @param report - what {@link refitCodeHead} returned.
 * @returns a new manifest (the argument is not modified).
 * @throws nothing.
 * @example
 * refittedManifest(manifest, report).hyperparameters.codeHeadRefit // => 1
 */
export function refittedManifest(
  manifest: ModelManifest,
  report: CodeHeadRefitReport,
): ModelManifest {
  const { validationCodeNllAfter: after, validationCodeNllBefore: before } = report;
  const change = after === null || before === null ? 0 : after - before;
  const moved = (x: number | null) => (x === null ? x : x + change);
  return {
    ...manifest,
    hyperparameters: { ...manifest.hyperparameters, codeHeadRefit: 1 },
    metrics: {
      ...manifest.metrics,
      validationNll: moved(manifest.metrics.validationNll),
      validationCodeNll: moved(manifest.metrics.validationCodeNll),
      codeHeadRefit: { ...report },
    },
  };
}

/**
 * Refits the code head of an existing GRU model folder's weights post hoc (see
 * {@link refitCodeHead}) on the rows it was fitted on: the same seeded split of its training
 * timeline (trainingSplit), never the validation rows.
 *
 * @param manifest - a GRU model's manifest.
 * @param weights - its weights.
 * @param timeline - the timeline it was trained on.
 * @returns the refitted manifest and weights.
 * @throws TrajsimError MODEL for a Markov model; INVALID_INPUT when the timeline is not the
 *   training one (split sizes differ).
 * @example
 * const { manifest: m, weights: w } = refitModelCodeHead(manifest, weights, colon);
 */
export function refitModelCodeHead(
  manifest: ModelManifest,
  weights: Float32Array,
  timeline: Timeline,
  options: CodeHeadRefitOptions = {},
): { manifest: ModelManifest; weights: Float32Array; report: CodeHeadRefitReport } {
  if (manifest.kind !== 'gru' || !manifest.weights) {
    throw new TrajsimError('MODEL', codeHeadRefitNotGru(manifest.kind));
  }
  const shape = gruShapeOf(manifest);
  const { train, validation } = trainingSplit(manifest, timeline);
  const data = encodeTimelineForGru(manifest, shape, timeline);
  const r = refitCodeHead(
    shape,
    manifest.weights,
    weights,
    data,
    train,
    validation,
    recordedMaxSteps(manifest),
    options,
  );
  return { manifest: refittedManifest(manifest, r.report), weights: r.weights, report: r.report };
}

/**
 * Refits the code head of the model folder `modelDir` in place (see {@link refitModelCodeHead})
 * on the training rows of the timeline `dataDir` it was trained on: rewrites weights.bin,
 * manifest.json and the ONNX graphs atomically, file by file. Everything but the code head's
 * bias (and the skip's code kernel) keeps its bytes.
 *
 * @param modelDir - a trained GRU model folder (rewritten).
 * @param dataDir - the timeline it was trained on (same content hash).
 * @param options - tolerance, iterations and ridge of the fit.
 * @returns the refit's report.
 * @throws TrajsimError INVALID_INPUT when `dataDir` is not the model's training data; MODEL for
 *   a Markov model; IO / INVALID_INPUT as readModelManifest and readTimeline.
 * @example
 * await refitModelFolderCodeHead('/tmp/m', 'out/reference-6k') // => { trainCodeNllAfter: … }
 */
export async function refitModelFolderCodeHead(
  modelDir: string,
  dataDir: string,
  options: CodeHeadRefitOptions = {},
): Promise<CodeHeadRefitReport> {
  const manifest = readModelManifest(modelDir);
  const hash = readTimelineManifest(dataDir).contentHash;
  if (hash !== manifest.training.contentHash) {
    throw new TrajsimError(
      'INVALID_INPUT',
      codeHeadRefitDataMismatch(dataDir, hash, manifest.training.contentHash),
      { file: join(dataDir, 'timeline.json'), field: 'contentHash' },
    );
  }
  const timeline = await readTimeline(dataDir);
  const r = refitModelCodeHead(manifest, readModelWeights(modelDir), timeline, options);
  const w = r.weights;
  writeFileAtomic(
    join(modelDir, MODEL_FILES.WEIGHTS),
    new Uint8Array(w.buffer, w.byteOffset, w.byteLength),
  );
  writeFileAtomic(join(modelDir, MODEL_FILES.MANIFEST), `${JSON.stringify(r.manifest, null, 2)}\n`);
  writeOnnxFiles(modelDir, exportOnnx(r.manifest, w));
  return r.report;
}
