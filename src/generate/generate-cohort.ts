// The entry point of plain generation over the one generation path (write-generation.ts); the
// sampler's contract and parts live in generation-types.ts and sample-range.ts.
import type { Logger } from '../core/messages.js';
import { lowAcceptance, MESSAGES } from '../core/messages.js';
import { type Shard, shardRange } from '../core/shard.js';
import type { TimelineManifest } from '../timeline/types.js';
import {
  type GenerationHooks,
  resolveSampleOptions,
  type SampleRangeCounts,
  type SampleRangeOptions,
  type SampleSettings,
} from './generation-types.js';
import type { GenerationModel } from './step-model.js';
import { countsTally, writeGeneration } from './write-generation.js';

export interface GenerateCohortOptions extends SampleSettings {
  readonly out: string;
  readonly shard?: Shard;
  readonly overwrite?: boolean;
  readonly name?: string;
  /** Extra files written into the output directory with its data (e.g. generation.json). */
  readonly extraFiles?: (manifest: TimelineManifest) => Readonly<Record<string, string>>;
}

export interface GenerateCohortSummary {
  readonly manifest: TimelineManifest;
  readonly firstPatient: number;
  /** Patients written. */
  readonly generated: number;
  /** Candidates sampled (>= generated when an accept hook rejects some). */
  readonly candidates: number;
  readonly accepted: number;
  /** Patients censored by the max-events cap (not by the horizon). */
  readonly cappedByMaxEvents: number;
  readonly seconds: number;
  readonly patientsPerSecond: number;
  readonly eventsPerSecond: number;
}

/**
 * Generates a synthetic cohort with a trained model and streams it to a timeline directory
 * (one shard of it with `shard`): see {@link sampleRange} for how patients are drawn, why the
 * bytes do not depend on the batch size, and why the union of the shards equals the
 * unsharded output.
 *
 * Throws INVALID_ARGUMENT for bad options, IO if `out` is taken, INFEASIBLE when criteria
 * almost never hold.
 *
 * @example
 * await generateCohort(model, { patients: 1000, seed: 7, out: 'out/synthetic' })
 * // => { generated: 1000, accepted: 1000, ... }
 */
export async function generateCohort(
  model: GenerationModel,
  options: GenerateCohortOptions,
): Promise<GenerateCohortSummary> {
  const o = resolveSampleOptions(model, options);
  const { start: first, end } = options.shard
    ? shardRange(options.patients, options.shard)
    : { start: 0, end: options.patients };
  const started = performance.now();
  const extra = options.extraFiles;
  const { manifest, counts } = await writeGeneration({
    model,
    sample: o,
    range: { start: first, end },
    out: options.out,
    timeline: {
      name: options.name ?? 'synthetic',
      source: generationSource(model, options, o),
      ...(options.overwrite ? { overwrite: true } : {}),
    },
    tally: countsTally(o.hooks),
    ...(extra ? { extraFiles: (m: TimelineManifest) => extra(m) } : {}),
  });
  const seconds = (performance.now() - started) / 1000;
  return summarize(manifest!, first, counts, seconds, o.logger, options.hooks);
}

/**
 * The `source` line of a generated timeline.json (the same for every shard and part).
 *
 * @example
 * generationSource(model, { seed: 7, patients: 1000 }, o)
 * // => 'trajsim generate: <model>; seed 7; 1000 patients; horizon <days> d'
 */
export function generationSource(
  model: GenerationModel,
  options: { seed: string | number; patients: number },
  o: SampleRangeOptions,
): string {
  return `trajsim generate: ${model.description}; seed ${options.seed}; ${options.patients} patients; horizon ${o.horizonDays} d`;
}

/**
 * The summary of a finished run, with a warning when criteria rejected most candidates.
 *
 * @example
 * summarize(manifest, 0, { written: 5, candidates: 1000, events: 40, capped: 0 }, 1.5, logger, hooks)
 * // => { generated: 5, candidates: 1000, ... } and a LOW_ACCEPTANCE warning (5/1000 < 1%)
 */
export function summarize(
  manifest: TimelineManifest,
  first: number,
  counts: SampleRangeCounts,
  seconds: number,
  logger: Logger,
  hooks: GenerationHooks | undefined,
): GenerateCohortSummary {
  if (hooks?.accept && counts.candidates > 0 && counts.written / counts.candidates < 0.01) {
    logger.warn(MESSAGES.LOW_ACCEPTANCE, lowAcceptance(counts.written, counts.candidates));
  }
  return {
    manifest,
    firstPatient: first,
    generated: counts.written,
    candidates: counts.candidates,
    accepted: counts.written,
    cappedByMaxEvents: counts.capped,
    seconds,
    patientsPerSecond: counts.written / Math.max(seconds, 1e-9),
    eventsPerSecond: counts.events / Math.max(seconds, 1e-9),
  };
}
