/**
 * The one generation path (issue 11 item 6): samples a range of patients with the batch
 * sampler (this thread, or a {@link RangeSampler} such as worker threads) and writes them
 * atomically (temp folder + rename, removed on any failure), at once or in checkpointed parts
 * that a killed run resumes; or only counts them (no `out`: pilots, twins evaluations).
 * `generateCohort`, the scenario run (`runGeneration`) and history twins all go through
 * {@link writeGeneration}; the scenario layer only compiles a scenario into hooks and tallies.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { checkOutputDir, type OutputOptions } from '../core/atomic-output.js';
import { TrajsimError } from '../core/errors.js';
import { type Logger, MESSAGES, partsResumed, SILENT_LOGGER } from '../core/messages.js';
import { mergeTimelines } from '../timeline/merge.js';
import { TIMELINE_FILES, type TimelineManifest } from '../timeline/types.js';
import { TimelineWriter } from '../timeline/writer.js';
import {
  DISCARD_WRITER,
  type GenerationHooks,
  type PatientWriter,
  type SampleRangeCounts,
  type SampleRangeOptions,
} from './generation-types.js';
import { lockCheckpoint, readCheckpointTally, verifyCheckpointPart } from './resume-checkpoint.js';
import { sampleRange } from './sample-range.js';
import type { GenerationModel } from './step-model.js';

/** Patients per checkpointed part in `resume` mode. */
export const DEFAULT_PART_PATIENTS = 50_000;

/** What a {@link RangeSampler} sampled: the counts, and the accept hook's criteria tally if it kept one. */
export interface SampledRange {
  readonly counts: SampleRangeCounts;
  /** Criteria met and candidates judged (a sampler whose hooks run elsewhere, e.g. in workers). */
  readonly criteria?: { readonly met: ArrayLike<number>; readonly candidates: number };
}

/**
 * Samples patients [from, to) into `writer` in index order with the bytes of
 * `sampleRange(model, writer, from, to, o)` (e.g. on worker threads); `o.hooks.written` must
 * be called for every patient written, in order.
 */
export type RangeSampler = (
  writer: PatientWriter,
  from: number,
  to: number,
  o: SampleRangeOptions,
) => Promise<SampledRange>;

/**
 * The tally a run keeps per part (for resume, each checkpointed part saves its own as JSON, and
 * the parts add up), and the hooks that count into it.
 */
export interface PartTally<T, H extends GenerationHooks = GenerationHooks> {
  /** An empty tally; also the shape a checkpointed part's tally.json must have. */
  empty(): T;
  /** The hooks that sample a part and count into `tally`. */
  hooks(tally: T): H;
  /** After a part is sampled: its counts (and criteria) into its tally. */
  settle(tally: T, hooks: H, sampled: SampledRange): void;
  /** Adds a part's tally into the run's. */
  add(into: T, part: T): void;
}

/**
 * The tally of a run that counts only: its hooks are `hooks` for every part, and the tally is
 * the sampler's counts.
 *
 * @example
 * countsTally({}).empty() // => { written: 0, candidates: 0, events: 0, capped: 0 }
 */
export function countsTally(hooks: GenerationHooks): PartTally<SampleRangeCounts> {
  const add = (into: SampleRangeCounts, c: SampleRangeCounts) => {
    into.written += c.written;
    into.candidates += c.candidates;
    into.events += c.events;
    into.capped += c.capped;
  };
  return {
    empty: () => ({ written: 0, candidates: 0, events: 0, capped: 0 }),
    hooks: () => hooks,
    settle: (tally, _hooks, sampled) => add(tally, sampled.counts),
    add,
  };
}

/** Options of {@link writeGeneration}. */
export interface WriteGenerationOptions<T, H extends GenerationHooks = GenerationHooks> {
  readonly model: GenerationModel;
  /** The sampler's options; each part gets the hooks of its tally and its progress offset. */
  readonly sample: SampleRangeOptions;
  /** Global indices [start, end) of the patients to generate (a shard, a range of twins). */
  readonly range: { readonly start: number; readonly end: number };
  /** Output timeline folder; absent: patients are sampled and counted, nothing is written. */
  readonly out?: string;
  /** timeline.json's name and source, and how the output folder is claimed. */
  readonly timeline: {
    readonly name: string;
    readonly source: string;
    readonly overwrite?: boolean;
    readonly inputs?: readonly (string | undefined)[];
    readonly logger?: Logger;
  };
  readonly tally: PartTally<T, H>;
  /** Files written beside the data once it is complete (e.g. generation.json), from the run's tally. */
  readonly extraFiles?: (manifest: TimelineManifest, tally: T) => Readonly<Record<string, string>>;
  /** Samples a part elsewhere (worker threads); absent: {@link sampleRange} on this thread. */
  readonly sampler?: RangeSampler;
  /**
   * Checkpoint in parts of `partPatients` in `<out>.partial/` and merge them at the end; a
   * killed run restarted with the same `key` skips the finished parts (same bytes).
   */
  readonly resume?: { readonly partPatients: number; readonly key: string };
}

/** What {@link writeGeneration} made: the manifest (with `out`), the run's tally, and the counts sampled now. */
export interface WrittenGeneration<T> {
  readonly manifest: TimelineManifest | undefined;
  readonly tally: T;
  /** Counts of the parts sampled by this call (resumed parts are in `tally` only). */
  readonly counts: SampleRangeCounts;
}

/**
 * Checks a generation's output folder before any work (a pilot included): taken or inside an
 * input is an IO error; with `resume`, a complete output is left to {@link writeGeneration}
 * (which refuses it without `overwrite`).
 *
 * @param out - output folder.
 * @param output - how it is claimed (overwrite, inputs, logger).
 * @param resume - whether the run resumes from checkpoints.
 * @throws TrajsimError IO when the folder is taken.
 * @example
 * checkGenerationOutput('out/cohort', { overwrite: false, kind: 'timeline' }, false);
 */
export function checkGenerationOutput(out: string, output: OutputOptions, resume: boolean): void {
  const complete = existsSync(join(out, TIMELINE_FILES.MANIFEST));
  if (!(resume && complete)) checkOutputDir(out, output);
}

/** Samples patients [from, to) of the run into `writer`, counted into `part` and `counts`. */
async function samplePart<T, H extends GenerationHooks>(
  o: WriteGenerationOptions<T, H>,
  writer: PatientWriter,
  from: number,
  to: number,
  part: T,
  counts: SampleRangeCounts,
): Promise<void> {
  const hooks = o.tally.hooks(part);
  const ro: SampleRangeOptions = {
    ...o.sample,
    hooks,
    progressOffset: from - o.range.start,
    progressTotal: o.range.end - o.range.start,
  };
  const sampled = o.sampler
    ? await o.sampler(writer, from, to, ro)
    : { counts: await sampleRange(o.model, writer, from, to, ro) };
  o.tally.settle(part, hooks, sampled);
  counts.written += sampled.counts.written;
  counts.candidates += sampled.counts.candidates;
  counts.events += sampled.counts.events;
  counts.capped += sampled.counts.capped;
}

/** Samples patients [from, to) into one timeline folder, written atomically (removed on failure). */
async function writeTimeline<T, H extends GenerationHooks>(
  o: WriteGenerationOptions<T, H>,
  dir: string,
  from: number,
  to: number,
  part: T,
  counts: SampleRangeCounts,
  extraFiles: ((manifest: TimelineManifest) => Readonly<Record<string, string>>) | undefined,
  claim: WriteGenerationOptions<T, H>['timeline'],
): Promise<TimelineManifest> {
  const writer = await TimelineWriter.create(dir, {
    ...claim,
    attributes: o.model.attributes,
    codes: o.model.stepModel.codes,
  });
  try {
    await samplePart(o, writer, from, to, part, counts);
    return await writer.close(extraFiles);
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/** The run's extra files, from its tally. */
function extraFilesOf<T, H extends GenerationHooks>(o: WriteGenerationOptions<T, H>, tally: T) {
  const extra = o.extraFiles;
  return extra ? (manifest: TimelineManifest) => extra(manifest, tally) : undefined;
}

/**
 * Resume mode: generates the range in checkpointed parts in `<out>.partial` (skipping the
 * finished ones of an earlier run with the same key), then merges them into `out`.
 */
async function writeInParts<T, H extends GenerationHooks>(
  o: WriteGenerationOptions<T, H>,
  out: string,
  resume: { readonly partPatients: number; readonly key: string },
  tally: T,
  counts: SampleRangeCounts,
): Promise<TimelineManifest> {
  const logger = o.timeline.logger ?? SILENT_LOGGER;
  const overwrite = o.timeline.overwrite ?? false;
  const resolved = resolve(out);
  if (existsSync(join(resolved, TIMELINE_FILES.MANIFEST)) && !overwrite) {
    throw new TrajsimError(
      'IO',
      `output ${out} is already complete; nothing to resume (pass --overwrite to generate again)`,
    );
  }
  const partial = join(dirname(resolved), `${basename(resolved)}.partial`);
  const runFile = join(partial, 'run.json');
  mkdirSync(partial, { recursive: true });
  // one run at a time on a checkpoint (issue 18 #24): a live owner refuses, a dead one's lock is taken over
  const release = lockCheckpoint(partial, logger);
  try {
    if (existsSync(runFile)) {
      if (readFileSync(runFile, 'utf8') !== resume.key) {
        throw new TrajsimError(
          'IO',
          `${partial} holds parts of a different run (another scenario, seed, model or shard); remove it, or run without --resume`,
        );
      }
    } else {
      writeFileSync(runFile, resume.key);
    }
    const partDirs: string[] = [];
    let resumed = 0;
    const { start, end } = o.range;
    for (let from = start, k = 0; from < end; from += resume.partPatients, k++) {
      const to = Math.min(end, from + resume.partPatients);
      const dir = join(partial, `part-${String(k).padStart(6, '0')}`);
      partDirs.push(dir);
      const tallyFile = join(dir, 'tally.json');
      const partTally = o.tally.empty();
      if (existsSync(join(dir, TIMELINE_FILES.MANIFEST)) && existsSync(tallyFile)) {
        // a finished part is reused only when it reads back whole (a damaged one is a clear error)
        const done = readCheckpointTally(tallyFile, partial, partTally);
        await verifyCheckpointPart(dir, partial);
        o.tally.add(tally, done);
        resumed++;
        continue;
      }
      // a part folder is the run's own: claimed with overwrite, no inputs to check
      const claim = { name: o.timeline.name, source: o.timeline.source, overwrite: true };
      const saveTally = () => ({ 'tally.json': JSON.stringify(partTally) });
      await writeTimeline(o, dir, from, to, partTally, counts, saveTally, claim);
      o.tally.add(tally, partTally);
    }
    if (resumed > 0) logger.info(MESSAGES.INFO, partsResumed(resumed, partDirs.length));
    const extraFiles = extraFilesOf(o, tally);
    const manifest = await mergeTimelines(partDirs, out, {
      name: o.timeline.name,
      source: o.timeline.source,
      overwrite,
      ...(extraFiles ? { extraFiles } : {}),
    });
    release();
    rmSync(partial, { recursive: true, force: true });
    return manifest;
  } finally {
    release();
  }
}

/**
 * Generates patients `range` of a run: samples them (in index order, each from its own
 * stream, so the bytes depend on neither the batch size, the parts nor the sampler) and
 * writes them into `out` atomically, at once or (with `resume`) in checkpointed parts merged
 * at the end; without `out`, only samples and counts. Every hook call and tally goes through
 * `tally`, per part.
 *
 * @param o - the model, sampler options, range, output and tally ({@link WriteGenerationOptions}).
 * @returns the manifest (with `out`), the run's tally and the counts sampled by this call.
 * @throws TrajsimError IO when `out` is taken (without `overwrite`), already complete (resume),
 *   or its checkpoint belongs to another run or is damaged; INFEASIBLE when criteria almost
 *   never hold; whatever the sampler throws (the output is then removed).
 * @example
 * const { manifest } = await writeGeneration({
 *   model, sample: resolveSampleOptions(model, { patients: 100, seed: 7 }),
 *   range: { start: 0, end: 100 }, out: 'out/c',
 *   timeline: { name: 'c', source: 'trajsim generate' }, tally: countsTally({}),
 * });
 * manifest?.counts.patients // => 100
 */
export async function writeGeneration<T, H extends GenerationHooks>(
  o: WriteGenerationOptions<T, H>,
): Promise<WrittenGeneration<T>> {
  const tally = o.tally.empty();
  const counts: SampleRangeCounts = { written: 0, candidates: 0, events: 0, capped: 0 };
  const { start, end } = o.range;
  if (o.out === undefined) {
    await samplePart(o, DISCARD_WRITER, start, end, tally, counts);
    return { manifest: undefined, tally, counts };
  }
  const manifest = o.resume
    ? await writeInParts(o, o.out, o.resume, tally, counts)
    : await writeTimeline(o, o.out, start, end, tally, counts, extraFilesOf(o, tally), o.timeline);
  return { manifest, tally, counts };
}
