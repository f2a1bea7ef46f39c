// Regularisation of GRU training (issue 16: the likelihood membership-inference gate).
// Off unless asked for, except the weight decay that trainGru chooses for small datasets
// (data-driven-defaults.ts); a run with everything at 0 trains byte-identically to one before
// these existed (same hyperparameters in the manifest, same checkpoint fingerprint).
import * as tf from '@tensorflow/tfjs';
import { TrajsimError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { type AttributeEncoding, encodedWidth } from './attribute-encoder.js';

/** Regularisation settings of a GRU run; 0 (the default) turns each one off. */
export interface GruRegularisation {
  /**
   * Decoupled weight decay (AdamW, Loshchilov & Hutter 2019) on the weight matrices (not the
   * biases): after every Adam step w ← w · (1 − learningRate · weightDecay).
   */
  readonly weightDecay: number;
  /**
   * Probability that one attribute of one training patient is shown to the network as missing
   * in one batch (categorical: the UNKNOWN slot; numeric: value 0, missing indicator 1).
   */
  readonly attributeDropout: number;
  /** SD, in units of the attribute's training SD, of Gaussian noise on numeric attributes. */
  readonly attributeNoise: number;
}

/** The options that set {@link GruRegularisation} (any may be absent). */
export type GruRegularisationOptions = Partial<GruRegularisation>;

/**
 * The regularisation of a run, defaults (0) filled in and checked.
 *
 * @param options - weightDecay ≥ 0 (per unit learning rate), attributeDropout in [0, 1),
 *   attributeNoise ≥ 0 (training SDs).
 * @throws TrajsimError INVALID_ARGUMENT for a value out of range (field names it).
 * @example
 * resolveRegularisation({ weightDecay: 0.01 }) // => { weightDecay: 0.01, attributeDropout: 0, attributeNoise: 0 }
 */
export function resolveRegularisation(options: GruRegularisationOptions): GruRegularisation {
  const reg = {
    weightDecay: options.weightDecay ?? 0,
    attributeDropout: options.attributeDropout ?? 0,
    attributeNoise: options.attributeNoise ?? 0,
  };
  for (const [k, v] of Object.entries(reg)) {
    if (!(Number.isFinite(v) && v >= 0) || (k === 'attributeDropout' && v >= 1)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `${k} must be ${k === 'attributeDropout' ? 'in [0, 1)' : 'a number >= 0'}, got ${v}`,
        { field: k },
      );
    }
  }
  return reg;
}

/**
 * The settings that are on, for the manifest's hyperparameters and the checkpoint
 * fingerprint (empty when all are off, so those stay as they were without regularisation).
 *
 * @example
 * activeRegularisation({ weightDecay: 0.01, attributeDropout: 0, attributeNoise: 0 }) // => { weightDecay: 0.01 }
 */
export function activeRegularisation(reg: GruRegularisation): Partial<GruRegularisation> {
  return Object.fromEntries(Object.entries(reg).filter(([, v]) => v > 0));
}

/**
 * Perturbs a training batch's encoded attributes in place ([rows, width], the layout of
 * `encodeAttributeRows`): each attribute of each row is hidden (shown as missing) with
 * probability `attributeDropout`, else a present numeric one gets N(0, attributeNoise²) noise.
 * Draws come from `rng` in row, then attribute order; nothing is drawn when both are 0.
 *
 * @param attributes - the batch's encoded attributes (modified).
 * @param encoders - the attribute encoders (their order and widths give the layout).
 * @example
 * perturbAttributes(batch.attributes, enc.encoders, reg, rng.fork('regularise').fork(epoch).fork(b));
 */
export function perturbAttributes(
  attributes: Float32Array,
  encoders: readonly AttributeEncoding[],
  reg: GruRegularisation,
  rng: Rng,
): void {
  if (reg.attributeDropout === 0 && reg.attributeNoise === 0) return;
  const width = encodedWidth(encoders);
  const rows = width > 0 ? attributes.length / width : 0;
  for (let r = 0; r < rows; r++) {
    let o = r * width;
    for (const e of encoders) {
      const w = e.kind === 'categorical' ? e.levels.length + 1 : 2;
      const hide = reg.attributeDropout > 0 && rng.uniform() < reg.attributeDropout;
      if (hide) {
        attributes.fill(0, o, o + w);
        // categorical: the UNKNOWN slot is the last one; numeric: the missing indicator
        attributes[o + w - 1] = 1;
      } else if (e.kind === 'numeric' && reg.attributeNoise > 0 && attributes[o + 1] === 0) {
        attributes[o] = attributes[o]! + reg.attributeNoise * rng.normal();
      }
      o += w;
    }
  }
}

/**
 * One decoupled weight-decay step on the weight matrices among `vars` (names containing
 * 'kernel'): w ← w · (1 − learningRate · weightDecay). No-op when weightDecay is 0.
 *
 * @param vars - the network's trainable variables.
 * @param learningRate - the current learning rate.
 * @example
 * applyWeightDecay(net.trainable, progress.learningRate, reg.weightDecay);
 */
export function applyWeightDecay(
  vars: readonly tf.Variable[],
  learningRate: number,
  weightDecay: number,
): void {
  if (weightDecay === 0) return;
  const factor = 1 - learningRate * weightDecay;
  tf.tidy(() => {
    for (const v of vars) if (v.name.includes('kernel')) v.assign(tf.mul(v, factor));
  });
}
