import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../core/atomic-output.js';
import { TrajsimError } from '../core/errors.js';
import type { GruNetwork } from './gru-network.js';

/**
 * The mutable state of a GRU training run that a checkpoint keeps (besides the weights): the
 * best validation NLL so far, the epochs without progress, the learning rate.
 */
export interface TrainingProgress {
  /** First epoch (0-based) this call trains. */
  startEpoch: number;
  /** Best validation NLL (nats per event) so far; +Infinity before the first epoch. */
  bestNll: number;
  bestCodeNll: number;
  bestGapNll: number;
  /** Value-head part of bestNll (models with values). */
  bestValueNll?: number;
  /** 0-based epoch of bestNll; -1 before the first epoch. */
  bestEpoch: number;
  /** Epochs since bestNll last improved. */
  badEpochs: number;
  /** Seconds spent in epochs, over all calls of a resumed run. */
  trainSeconds: number;
  learningRate: number;
  /** The weights (averaged when averaging is on) of bestEpoch. */
  bestWeights: Float32Array;
}

interface CheckpointState {
  readonly fingerprint: string;
  readonly epoch: number;
  readonly bestNll: number;
  readonly bestCodeNll: number;
  readonly bestGapNll: number;
  readonly bestValueNll?: number;
  readonly bestEpoch: number;
  readonly badEpochs: number;
  readonly trainSeconds: number;
  readonly learningRate: number;
  readonly optimizer: { readonly shapes: number[][] };
}

const CHECKPOINT = {
  STATE: 'state.json',
  LAST: 'last.bin',
  BEST: 'best.bin',
  OPTIMIZER: 'optimizer.bin',
  AVERAGE: 'average.bin',
} as const;

/**
 * Sets Adam's learning rate: Adam reads it at every step; tfjs keeps the field protected.
 *
 * @param optimizer the Adam optimizer of the run
 * @param learningRate the new learning rate (per step)
 * @example
 * setLearningRate(optimizer, 0.0015)
 */
export function setLearningRate(optimizer: tf.AdamOptimizer, learningRate: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
}

function floatBytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function readFloats(path: string): Float32Array {
  const b = readFileSync(path);
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer);
}

/**
 * An exponential moving average of variables, kept on the backend:
 * a ← decay · a + (1 − decay) · w after every optimizer step, starting from the initial
 * weights. Decay 0 keeps nothing (values() is then never read).
 *
 * @example
 * const average = new WeightAverage(net.trainable, 0.99);
 * average.update(); // after each optimizer step
 */
export class WeightAverage {
  private readonly sources: readonly tf.Variable[];
  private readonly averages: tf.Variable[];
  private readonly decay: number;

  constructor(sources: readonly tf.Variable[], decay: number) {
    this.sources = sources;
    this.decay = decay;
    this.averages = [];
    if (decay <= 0) return;
    for (const v of sources) {
      const copy = v.clone();
      this.averages.push(tf.variable(copy, false));
      copy.dispose();
    }
  }

  update(): void {
    if (this.averages.length === 0) return;
    tf.tidy(() => {
      this.averages.forEach((a, i) => {
        a.assign(tf.add(tf.mul(a, this.decay), tf.mul(this.sources[i]!, 1 - this.decay)));
      });
    });
  }

  /** The averages, concatenated in variable order (the layout of weights.bin). */
  values(): Float32Array {
    let size = 0;
    for (const a of this.averages) size += a.size;
    const out = new Float32Array(size);
    let o = 0;
    for (const a of this.averages) {
      out.set(a.dataSync() as Float32Array, o);
      o += a.size;
    }
    return out;
  }

  assign(data: Float32Array): void {
    let o = 0;
    for (const a of this.averages) {
      const t = tf.tensor(data.subarray(o, o + a.size), a.shape, 'float32');
      a.assign(t);
      t.dispose();
      o += a.size;
    }
  }

  dispose(): void {
    tf.dispose(this.averages);
  }
}

/**
 * Restores a run from the checkpoint in `ckpt`: the last and best weights, the weight average,
 * Adam's state (iteration and moments) and the progress; `progress` is updated in place.
 *
 * @param ckpt the checkpoint folder
 * @param fingerprint the JSON of the run's seed, hyperparameters, shape and data
 * @throws TrajsimError MODEL when there is no checkpoint or it was written by another run
 * @example
 * await restoreCheckpoint('models/.colon.checkpoint', fingerprint, net, optimizer, average, progress)
 */
export async function restoreCheckpoint(
  ckpt: string | undefined,
  fingerprint: string,
  net: GruNetwork,
  optimizer: tf.AdamOptimizer,
  average: WeightAverage,
  progress: TrainingProgress,
): Promise<void> {
  if (!ckpt || !existsSync(join(ckpt, CHECKPOINT.STATE))) {
    throw new TrajsimError(
      'MODEL',
      `nothing to resume: no checkpoint in ${ckpt ?? '(no checkpoint folder)'}`,
    );
  }
  const state = JSON.parse(readFileSync(join(ckpt, CHECKPOINT.STATE), 'utf8')) as CheckpointState;
  if (state.fingerprint !== fingerprint) {
    throw new TrajsimError(
      'MODEL',
      `the checkpoint in ${ckpt} was written by a run with other data, seed or hyperparameters; rerun without --resume`,
    );
  }
  net.assignWeights(readFloats(join(ckpt, CHECKPOINT.LAST)));
  progress.bestWeights = readFloats(join(ckpt, CHECKPOINT.BEST));
  average.assign(readFloats(join(ckpt, CHECKPOINT.AVERAGE)));
  progress.learningRate = state.learningRate;
  setLearningRate(optimizer, progress.learningRate);
  const opt = readFloats(join(ckpt, CHECKPOINT.OPTIMIZER));
  let o = 0;
  const named: Parameters<typeof optimizer.setWeights>[0] = state.optimizer.shapes.map((shp, i) => {
    const size = shp.reduce((a, b) => a * b, 1);
    const values = opt.subarray(o, o + size);
    o += size;
    return i === 0
      ? { name: 'iter', tensor: tf.scalar(values[0]!, 'int32') }
      : { name: `m${i}`, tensor: tf.tensor(values, shp, 'float32') };
  });
  await optimizer.setWeights(named);
  for (const n of named) n.tensor.dispose();
  progress.startEpoch = state.epoch + 1;
  progress.bestNll = state.bestNll;
  progress.bestCodeNll = state.bestCodeNll;
  progress.bestGapNll = state.bestGapNll;
  if (state.bestValueNll !== undefined) progress.bestValueNll = state.bestValueNll;
  progress.bestEpoch = state.bestEpoch;
  progress.badEpochs = state.badEpochs;
  progress.trainSeconds = state.trainSeconds;
}

/**
 * Writes the checkpoint of a finished epoch into `ckpt` (each file atomically): last, best and
 * averaged weights, Adam's state, and state.json with the progress.
 *
 * @param ckpt the checkpoint folder (created when missing)
 * @param fingerprint the JSON of the run's seed, hyperparameters, shape and data
 * @param epoch the 0-based epoch just finished
 * @example
 * await writeCheckpoint('models/.colon.checkpoint', fingerprint, 3, net, optimizer, average, progress)
 */
export async function writeCheckpoint(
  ckpt: string,
  fingerprint: string,
  epoch: number,
  net: GruNetwork,
  optimizer: tf.AdamOptimizer,
  average: WeightAverage,
  progress: TrainingProgress,
): Promise<void> {
  mkdirSync(ckpt, { recursive: true });
  const optWeights = await optimizer.getWeights();
  const shapes = optWeights.map((w) => w.tensor.shape as number[]);
  let size = 0;
  for (const w of optWeights) size += w.tensor.size;
  const optData = new Float32Array(size);
  let o = 0;
  for (const w of optWeights) {
    optData.set(w.tensor.dataSync(), o);
    o += w.tensor.size;
  }
  optWeights[0]!.tensor.dispose(); // the iteration scalar is a fresh tensor
  writeFileAtomic(join(ckpt, CHECKPOINT.LAST), floatBytes(net.exportWeights().data));
  writeFileAtomic(join(ckpt, CHECKPOINT.BEST), floatBytes(progress.bestWeights));
  writeFileAtomic(join(ckpt, CHECKPOINT.OPTIMIZER), floatBytes(optData));
  writeFileAtomic(join(ckpt, CHECKPOINT.AVERAGE), floatBytes(average.values()));
  const state: CheckpointState = {
    fingerprint,
    epoch,
    bestNll: progress.bestNll,
    bestCodeNll: progress.bestCodeNll,
    bestGapNll: progress.bestGapNll,
    ...(progress.bestValueNll !== undefined ? { bestValueNll: progress.bestValueNll } : {}),
    bestEpoch: progress.bestEpoch,
    badEpochs: progress.badEpochs,
    trainSeconds: progress.trainSeconds,
    learningRate: progress.learningRate,
    optimizer: { shapes },
  };
  writeFileAtomic(join(ckpt, CHECKPOINT.STATE), `${JSON.stringify(state)}\n`);
}
