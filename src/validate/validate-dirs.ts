import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TrajsimError } from '../core/errors.js';
import {
  computingMetrics,
  type Logger,
  MESSAGES,
  SILENT_LOGGER,
  summarisingReal,
} from '../core/messages.js';
import { DEFAULT_SEED } from '../core/rng.js';
import { VERSION } from '../core/version.js';
import { readTimeline, readTimelineManifest } from '../timeline/read.js';
import { TIMELINE_FILES, type TimelineManifest } from '../timeline/types.js';
import { assessFidelity, type FidelityOptions } from './fidelity.js';
import type { FidelityReport, ReportProvenance } from './fidelity-report.js';
import { mergeSummaries } from './merge-summaries.js';
import {
  DEFAULT_REPEATS,
  MatchedSubsample,
  type ShardSummaries,
  summarizeShard,
  summarizeWithHalves,
} from './noise-floor.js';

/** Options of {@link validateTimelineDirs}. */
export interface ValidateDirsOptions extends FidelityOptions {
  /** Random half-splits of the real data (default 5). */
  readonly repeats?: number;
  /** Progress and notes (default silent). */
  readonly logger?: Logger;
  /** What the caller knows of the run, for the provenance table (time, command, thresholds). */
  readonly provenance?: Pick<ReportProvenance, 'createdAt' | 'commandLine' | 'thresholdsFile'>;
}

type SyntheticProvenance = NonNullable<ReportProvenance['synthetic']>[number];

/** The value at a path of keys in parsed JSON, undefined when any step is missing. */
function at(json: unknown, ...keys: string[]): unknown {
  let v = json;
  for (const k of keys) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}
const asText = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;

/**
 * The provenance of one synthetic directory: its manifest, what its generation.json says, and
 * what the model's manifest.json says when it is found at the path generation.json records.
 * Missing or differently shaped fields are left out, never guessed.
 *
 * @example
 * syntheticProvenance('out/syn', manifest, generationJson).modelFingerprint // => '1d9c…'
 */
export function syntheticProvenance(
  dir: string,
  manifest: TimelineManifest,
  generation: unknown,
): SyntheticProvenance {
  const modelDir = asText(at(generation, 'model', 'dir'));
  let model: unknown;
  if (modelDir !== undefined && existsSync(join(modelDir, 'manifest.json'))) {
    try {
      model = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8'));
    } catch {
      model = undefined;
    }
  }
  const nll = at(model, 'metrics', 'validationNll');
  const shardIndex = asText(at(generation, 'shard', 'index'));
  const shardCount = asText(at(generation, 'shard', 'count'));
  const optional = {
    scenario: asText(at(generation, 'scenario', 'name')),
    generationSeed: asText(at(generation, 'seed')),
    backend: asText(at(generation, 'backend')),
    engine: asText(at(generation, 'engine')),
    shard:
      shardIndex !== undefined && shardCount !== undefined
        ? `${shardIndex}/${shardCount}`
        : undefined,
    modelDir,
    modelFingerprint: asText(at(generation, 'model', 'fingerprint')),
    modelTrainingDataHash: asText(at(model, 'training', 'contentHash')),
    modelTrainingData: asText(at(model, 'training', 'name')),
    modelSeed: asText(at(model, 'seed')),
    modelValidationNll: typeof nll === 'number' ? nll : undefined,
  };
  return {
    path: resolve(dir),
    contentHash: manifest.contentHash,
    patients: manifest.counts.patients,
    events: manifest.counts.events,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}

/**
 * Validates synthetic timeline directories (shards of one cohort, in the order given)
 * against a real one. Reads one directory at a time, keeping only its summary, so memory is
 * bounded by the largest shard. A shard's `generation.json`, when present, is carried into
 * the report as is, and the provenance table (paths, content hashes, counts, model and
 * generation settings, version) is filled from the manifests.
 *
 * @throws TrajsimError IO for a missing directory, INVALID_INPUT for malformed files or
 *   generation.json, INVALID_ARGUMENT for no synthetic directory.
 * @example
 * const report = await validateTimelineDirs('data/real', ['out/syn-0', 'out/syn-1'],
 *   { thresholds: defaultThresholds(), seed: '1' });
 * report.passed // => true or false
 */
export async function validateTimelineDirs(
  realDir: string,
  syntheticDirs: readonly string[],
  options: ValidateDirsOptions,
): Promise<FidelityReport> {
  if (syntheticDirs.length === 0) {
    throw new TrajsimError('INVALID_ARGUMENT', 'no synthetic timeline directory given');
  }
  const logger = options.logger ?? SILENT_LOGGER;
  const repeats = options.repeats ?? DEFAULT_REPEATS;
  const seed = String(options.seed ?? DEFAULT_SEED);
  const manifests = syntheticDirs.map((dir) => readTimelineManifest(dir));
  const real = await readTimeline(realDir);
  logger.info(MESSAGES.INFO, summarisingReal(realDir, real.patients.ids.length, repeats));
  const realSummaries = summarizeWithHalves(real, { repeats, seed });
  const realName = real.name;
  const total = manifests.reduce((n, m) => n + m.counts.patients, 0);
  const subsample = new MatchedSubsample(total, realSummaries.halves[0]!.b.patients, repeats, seed);
  const shards: ShardSummaries[] = [];
  const generation: { source: string; content: unknown }[] = [];
  const synthetic: SyntheticProvenance[] = [];
  let first = 0;
  for (const [i, dir] of syntheticDirs.entries()) {
    const timeline = await readTimeline(dir);
    shards.push(summarizeShard(timeline, first, subsample));
    first += timeline.patients.ids.length;
    logger.progress?.(
      'summarising synthetic patients',
      first,
      total,
      `(shard ${i + 1}/${syntheticDirs.length})`,
    );
    const genPath = join(dir, TIMELINE_FILES.GENERATION);
    let content: unknown;
    if (existsSync(genPath)) {
      try {
        content = JSON.parse(readFileSync(genPath, 'utf8'));
      } catch (cause) {
        throw new TrajsimError('INVALID_INPUT', 'not valid JSON', { file: genPath, cause });
      }
      generation.push({ source: genPath, content });
    }
    synthetic.push(syntheticProvenance(dir, manifests[i]!, content));
  }
  const realManifest = readTimelineManifest(realDir);
  logger.info(MESSAGES.INFO, computingMetrics());
  const report = assessFidelity(
    {
      real: realSummaries,
      realName,
      synthetic: mergeSummaries(shards.map((s) => s.full)),
      syntheticNames: manifests.map((m) => m.name),
      matched: Array.from({ length: repeats }, (_, r) =>
        mergeSummaries(shards.map((s) => s.matched[r]!)),
      ),
      generation,
    },
    { ...options, seed },
  );
  const provenance: ReportProvenance = {
    trajsimVersion: VERSION,
    ...(options.provenance ?? {}),
    real: {
      path: resolve(realDir),
      contentHash: realManifest.contentHash,
      ...realManifest.counts,
    },
    synthetic,
  };
  return { ...report, provenance };
}
