import type { Rng } from '../core/rng.js';
import type { AttributeRows } from '../model/attribute-encoder.js';
import type { AttributeModel } from '../model/attribute-model.js';
import type { RuleSet } from '../rules/rule-schema.js';
import type { AttributeSpec } from '../timeline/types.js';

/**
 * A trajectory model seen one step at a time, for a batch of patients at once: what the
 * batched sampler drives. The GRU (src/model/gru-step-model.ts) and the Markov baseline
 * (src/model/markov.ts) both implement it.
 */
export interface StepModel {
  /** Output codes; the input token `codes.length` means "beginning of sequence". */
  readonly codes: readonly string[];
  /** Starts a batch of `attributes.rows` patients. */
  start(attributes: AttributeRows): void;
  /**
   * Advances every current row by its previous event (code, gap since the event before it,
   * day) and returns the next-code probabilities, [rows × codes.length].
   */
  step(prevCode: Int32Array, prevGapDays: Int32Array, prevDay: Int32Array): Float32Array;
  /** Draws the gap in days (integer >= 0) before `code` for `row` of the last step. */
  sampleGapDays(row: number, code: number, rng: Rng): number;
  /** Keeps only the given rows (ascending positions among the current rows). */
  keepRows(rows: Int32Array): void;
  /** Ends the batch (frees its state). */
  end(): void;
  dispose(): void;
}

/** Everything the sampler needs from a trained model. */
export interface GenerationModel {
  readonly kind: string;
  readonly stepModel: StepModel;
  /** Attribute schema of the output (and of the attribute rows fed to `start`). */
  readonly attributes: readonly AttributeSpec[];
  readonly attributeModel: AttributeModel;
  /** [first, last] index day (days since 1970-01-01) new patients' index dates are drawn from. */
  readonly indexDayRange: readonly [number, number];
  /** Default horizon: the longest follow-up seen in training. */
  readonly maxFollowUpDays: number;
  /** Most events of one training patient. */
  readonly maxEvents: number;
  /** A short description for timeline.json's source. */
  readonly description: string;
  /** Plausibility rules whose hard ones the sampler enforces (none: sample freely). */
  readonly rules?: RuleSet;
}
