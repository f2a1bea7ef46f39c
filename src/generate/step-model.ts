import type { Rng } from '../core/rng.js';
import type { AttributeRows } from '../model/attribute-encoder.js';
import type { AttributeModel } from '../model/attribute-model.js';
import type { RuleSet } from '../rules/rule-schema.js';
import type { AttributeSpec } from '../timeline/types.js';

/**
 * A trajectory model seen one step at a time, for a batch of patients at once: what the
 * batched sampler drives. The GRU on tfjs (src/model/gru-step-model.ts) or on ONNX Runtime
 * (src/model/onnx-step-model.ts) and the Markov baseline (src/model/markov.ts) implement it;
 * `start`, `step` and `setNextCodes` may return promises (the ONNX engine's do).
 */
export interface StepModel {
  /** Output codes; the input token `codes.length` means "beginning of sequence". */
  readonly codes: readonly string[];
  /** Starts a batch of `attributes.rows` patients. */
  start(attributes: AttributeRows): void | Promise<void>;
  /**
   * Puts new patients into rows (continuous batching: the slot API). `positions` (ascending)
   * are current rows whose patients have finished, whose state is replaced, then possibly
   * `rows`, `rows + 1`, ... to append; attribute row j goes to `positions[j]`.
   */
  replaceRows(positions: Int32Array, attributes: AttributeRows): void | Promise<void>;
  /**
   * Advances every current row by its previous event (code, gap since the event before it,
   * day, and its value in data units, NaN for none; `prevValue` is passed only to models with
   * `valuedCodes`) and returns the next-code probabilities, [rows × codes.length] (valid until the next
   * call).
   */
  step(
    prevCode: Int32Array,
    prevGapDays: Int32Array,
    prevDay: Int32Array,
    prevValue?: Float64Array,
  ): Float32Array | Promise<Float32Array>;
  /**
   * Second stage of a step: the next code drawn for every current row (any valid code for
   * rows whose gap will not be drawn). Models whose gap distribution depends on the code
   * evaluate it here, for these codes only.
   */
  setNextCodes(nextCodes: Int32Array): void | Promise<void>;
  /** Draws the gap in days (integer >= 0) before `code` (the code set for `row`) for `row` of the last step. */
  sampleGapDays(row: number, code: number, rng: Rng): number;
  /**
   * Event values (issue 10). `valuedCodes[c]` is 1 for a code whose events carry a value;
   * absent (or all 0): the model generates no values and makes no value draws, so cohorts of
   * models without values keep their bytes. For a valued code the sampler calls
   * `sampleValue(row, code, rng)` right after `sampleGapDays` for that row, with the
   * patient's own stream (draw order per event: code, gap, value); it returns the value in the
   * data's units, or NaN for "no value recorded".
   */
  readonly valuedCodes?: Uint8Array;
  sampleValue?(row: number, code: number, rng: Rng): number;
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
