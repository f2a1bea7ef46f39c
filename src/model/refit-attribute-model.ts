/**
 * Refits only the attribute model of a trained model folder (manifest.json `attributeModel`)
 * on exactly the training patients `train` used. The GRU never reads the attribute model (it
 * trains on the real attributes), so this gives the manifest a full retrain would write
 * without retraining; with `kind: 'parent'` it writes the legacy one-parent model instead
 * (docs/attributes.md compares the two).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-output.js';
import { TrajsimError } from '../core/errors.js';
import { refitMinLeafInvalid } from '../core/messages.js';
import { readTimeline, readTimelineManifest } from '../timeline/read.js';
import { fitCartAttributeModel } from './attribute-cart.js';
import { fitAttributeModel, fitParentAttributeModel } from './attribute-model.js';
import type { CartSmoothing } from './cart-smoothing.js';
import { MODEL_FILES, readModelManifest } from './manifest.js';
import { trainingSplit } from './training-summary.js';

/** Options of {@link refitAttributeModel}. */
export interface RefitAttributeModelOptions {
  /** 'cart' (sequential CART, what `train` fits; default) or 'parent' (the legacy one-parent model). */
  readonly kind?: 'cart' | 'parent';
  /**
   * CART only: fewest training patients on each side of a split (default CART_MIN_LEAF, 10,
   * what `train` fits); a larger leaf gives coarser, less identifying attribute tables.
   */
  readonly minLeaf?: number;
  /** CART only: numeric leaf draws smoothed ('density', what `train` fits) or observed ('none'). */
  readonly smoothing?: CartSmoothing;
}

/**
 * Refits the attribute model of the model folder `modelDir` on the training patients of the
 * timeline `dataDir` (the same seeded train/validation split `train` made) and rewrites its
 * manifest.json atomically; nothing else in the folder changes.
 *
 * @param modelDir - a trained model folder (its manifest.json is rewritten).
 * @param dataDir - the timeline the model was trained on (same content hash).
 * @param options - which attribute model to fit, and (CART) its minimum leaf.
 * @returns the number of training patients the model was fitted on.
 * @throws TrajsimError INVALID_INPUT when `dataDir`'s content hash differs from the model's
 *   training data or the split does not reproduce the recorded training size (trainingSplit);
 *   INVALID_ARGUMENT for a `minLeaf` that is not a positive integer or given with kind 'parent';
 *   IO / INVALID_INPUT as readModelManifest and readTimeline.
 * @example
 * await refitAttributeModel('models/reference', 'out/reference-20k-seed1')
 * // => { trainPatients: 18000 } and models/reference/manifest.json rewritten
 * await refitAttributeModel('out/model', 'out/train', { minLeaf: 40 }) // coarser CART leaves
 * await refitAttributeModel('out/model', 'out/train', { smoothing: 'none' }) // observed values
 */
export async function refitAttributeModel(
  modelDir: string,
  dataDir: string,
  options: RefitAttributeModelOptions = {},
): Promise<{ trainPatients: number }> {
  const kind = options.kind ?? 'cart';
  const { minLeaf } = options;
  if (minLeaf !== undefined && (kind === 'parent' || !(Number.isInteger(minLeaf) && minLeaf > 0))) {
    throw new TrajsimError('INVALID_ARGUMENT', refitMinLeafInvalid(minLeaf, kind), {
      field: 'minLeaf',
    });
  }
  const manifest = readModelManifest(modelDir);
  const hash = readTimelineManifest(dataDir).contentHash;
  if (hash !== manifest.training.contentHash) {
    throw new TrajsimError(
      'INVALID_INPUT',
      `${dataDir}: content hash ${hash} differs from the model's training data ${manifest.training.contentHash}`,
      { file: join(dataDir, 'timeline.json'), field: 'contentHash' },
    );
  }
  const timeline = await readTimeline(dataDir);
  const { train } = trainingSplit(manifest, timeline);
  const path = join(modelDir, MODEL_FILES.MANIFEST);
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const attributes = timeline.patients.attributes;
  const model =
    kind === 'parent'
      ? fitParentAttributeModel(attributes, train)
      : minLeaf === undefined && options.smoothing === undefined
        ? fitAttributeModel(attributes, train)
        : fitCartAttributeModel(attributes, train, {
            ...(minLeaf === undefined ? {} : { minLeaf }),
            ...(options.smoothing === undefined ? {} : { smoothing: options.smoothing }),
          });
  raw['attributeModel'] = JSON.parse(JSON.stringify(model));
  writeFileAtomic(path, `${JSON.stringify(raw, null, 2)}\n`);
  readModelManifest(modelDir); // validates what was written
  return { trainPatients: train.length };
}
