/**
 * The batch sampler whose draw order fixes the bytes of every generated cohort. Its parts:
 * pool fill (range-pool.ts), step (range-step.ts) and reorder (range-reorder.ts), over the
 * state of range-state.ts.
 */
import { TrajsimError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { TERMINAL_CODES } from '../timeline/types.js';
import type { PatientWriter, SampleRangeCounts, SampleRangeOptions } from './generation-types.js';
import { fillSlots, REFILL_SHARE, refillOrCompact } from './range-pool.js';
import { flush } from './range-reorder.js';
import { createRangeState } from './range-state.js';
import { recordEvent, sampleCodes } from './range-step.js';
import type { GenerationModel } from './step-model.js';

/**
 * Samples patients with global indices [from, to) into `writer`, in index order.
 *
 * Up to `batchSize` candidates run through the model together, step by step (continuous
 * batching: as trajectories end, their rows are refilled with the next candidates, so short
 * trajectories do not wait for the longest one). Candidate (g, a) draws from its own stream
 * ({@link candidateRng}): attributes from `.fork('attributes')`, the index date from
 * `.fork('index-date')`, each step's code ({@link sampleCode}) and gap from the stream itself,
 * in order. A candidate with a history ({@link GenerationHooks.history}) first steps through
 * its observed events (teacher forcing, no draws), then samples after its landmark. A
 * rejected candidate is retried as (g, a + 1) in the next free row, and finished patients wait
 * in a reorder buffer until every lower index is written. So the bytes depend on neither
 * the batch size nor the range split (shards, resume parts).
 *
 * Constraints hold by construction: days never go backwards (gaps are >= 0), nothing
 * follows a terminal code, a sampled day beyond the horizon becomes END_OF_FOLLOWUP at the
 * horizon, and a patient reaching `maxEvents` − 1 events is censored on its last day.
 * Throws INFEASIBLE when a patient needs more than `maxAttempts` candidates.
 *
 * @example
 * await sampleRange(model, writer, 0, 100, resolveSampleOptions(model, { patients: 100, seed: 7 }));
 * // writes patients 0..99; the same bytes whatever the batch size
 */
export async function sampleRange(
  model: GenerationModel,
  writer: PatientWriter,
  from: number,
  to: number,
  o: SampleRangeOptions,
): Promise<SampleRangeCounts> {
  const sm = model.stepModel;
  const codes = sm.codes;
  const censor = codes.indexOf(TERMINAL_CODES.END_OF_FOLLOWUP);
  const death = codes.indexOf(TERMINAL_CODES.DEATH);
  if (censor < 0) throw new TrajsimError('MODEL', 'the model has no END_OF_FOLLOWUP code');
  const root = new Rng(o.seed).fork('patient');
  const counts: SampleRangeCounts = { written: 0, candidates: 0, events: 0, capped: 0 };
  const started = performance.now();

  if (to <= from) return counts;
  const s = createRangeState(model, writer, from, to, o, {
    codes,
    censor,
    death,
    root,
    counts,
    started,
  });

  // Continuous batching: the model's batch holds up to `cap` candidates; rows[k] is the slot
  // of the model's k-th row (-1 once that candidate has finished). While candidates wait, the
  // rows of finished ones are refilled in place (StepModel.replaceRows) as soon as
  // REFILL_SHARE of the batch is idle; once none wait, the batch shrinks (COMPACT_SHARE) as
  // trajectories end.
  const first = fillSlots(s, s.cap);
  s.rows.set(first);
  s.m = first.length;
  s.live = s.m;
  await sm.start({ rows: s.m, values: s.newAttrs.subarray(0, s.m * s.nA) });
  const refillAt = Math.max(1, Math.floor(REFILL_SHARE * s.cap));
  try {
    while (s.live > 0) {
      await sampleCodes(s);
      for (let k = 0; k < s.m; k++) {
        const i = s.rows[k]!;
        if (i < 0) continue;
        recordEvent(s, k, i);
      }
      if (s.live < s.m) await flush(s);
      await refillOrCompact(s, refillAt);
    }
  } finally {
    sm.end();
  }
  await flush(s);
  return counts;
}
