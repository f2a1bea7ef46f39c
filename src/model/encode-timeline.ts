/**
 * A whole timeline encoded for a trained GRU (its vocabulary, attribute encoders and gap head),
 * as the teacher-forced passes over real patients (code calibration, trajectory NLL) need it.
 */

import type { Timeline } from '../timeline/types.js';
import { attributeRowsOf, encodeAttributeRows, encodedWidth } from './attribute-encoder.js';
import type { GruShape } from './gru-shape.js';
import type { ModelManifest } from './manifest.js';
import { type EncodedTimeline, MAX_TRAIN_STEPS } from './sequence-batches.js';
import { resolveValueModel } from './value-spec.js';
import { mapCodesToVocabulary } from './vocabulary.js';

/**
 * Encodes every patient row of `timeline` with the model's encoders and vocabulary: one-hot
 * code map, encoded attributes, the gap-bin edges of a binned gap head, and the value model of a
 * model with values (its batches then carry value inputs and targets).
 *
 * @param manifest - the GRU's manifest (vocabulary, encoders).
 * @param shape - its network shape (`gruShapeOf(manifest)`).
 * @param timeline - the patients to encode; all rows, in row order.
 * @throws TrajsimError MODEL when a timeline code is not in the model's vocabulary.
 * @example
 * encodeTimelineForGru(manifest, gruShapeOf(manifest), heldOut).attributeWidth // => e.g. 12
 */
export function encodeTimelineForGru(
  manifest: ModelManifest,
  shape: GruShape,
  timeline: Timeline,
): EncodedTimeline {
  const A = encodedWidth(manifest.encoders);
  const n = timeline.patients.ids.length;
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const attributes = new Float32Array(n * A);
  encodeAttributeRows(
    manifest.encoders,
    attributeRowsOf(manifest.encoders, timeline.patients.attributes, all),
    attributes,
  );
  return {
    timeline,
    codeMap: mapCodesToVocabulary(manifest.vocabulary, timeline.events.codes),
    vocabularySize: shape.vocabularySize,
    attributes,
    attributeWidth: A,
    ...(shape.gapBinEdges ? { gapBinEdges: shape.gapBinEdges } : {}),
    ...(manifest.values
      ? { values: resolveValueModel(manifest.values, manifest.vocabulary.codes) }
      : {}),
  };
}

/**
 * The steps per patient a model was trained with (its `maxSteps` hyperparameter), or
 * {@link MAX_TRAIN_STEPS} when the manifest does not record it.
 *
 * @param manifest - the model's manifest.
 * @throws nothing.
 * @example
 * recordedMaxSteps(manifest) // => 512
 */
export function recordedMaxSteps(manifest: ModelManifest): number {
  const recorded = manifest.hyperparameters['maxSteps'];
  return typeof recorded === 'number' ? recorded : MAX_TRAIN_STEPS;
}
