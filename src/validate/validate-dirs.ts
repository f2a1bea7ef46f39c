import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrajsimError } from '../core/errors.js';
import {
  computingMetrics,
  type Logger,
  MESSAGES,
  SILENT_LOGGER,
  shardAttributesDiffer,
  summarisingReal,
  syntheticLacksAttributes,
  tooFewRealPatients,
} from '../core/messages.js';
import { DEFAULT_SEED } from '../core/rng.js';
import { readTimeline, readTimelineManifest } from '../timeline/read.js';
import { TIMELINE_FILES, type TimelineManifest } from '../timeline/types.js';
import { assessFidelity, type FidelityOptions } from './fidelity.js';
import type { FidelityReport } from './fidelity-report.js';
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
}

/**
 * Validates synthetic timeline directories (shards of one cohort, in the order given)
 * against a real one. Reads one directory at a time, keeping only its summary, so memory is
 * bounded by the largest shard. A shard's `generation.json`, when present, is carried into
 * the report as is.
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
  checkComparable(
    realDir,
    real.patients.attributes,
    real.patients.ids.length,
    syntheticDirs,
    manifests,
  );
  logger.info(MESSAGES.INFO, summarisingReal(realDir, real.patients.ids.length, repeats));
  const realSummaries = summarizeWithHalves(real, { repeats, seed });
  const realName = real.name;
  const total = manifests.reduce((n, m) => n + m.counts.patients, 0);
  const subsample = new MatchedSubsample(total, realSummaries.halves[0]!.b.patients, repeats, seed);
  const shards: ShardSummaries[] = [];
  const generation: { source: string; content: unknown }[] = [];
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
    if (existsSync(genPath)) {
      try {
        generation.push({ source: genPath, content: JSON.parse(readFileSync(genPath, 'utf8')) });
      } catch (cause) {
        throw new TrajsimError('INVALID_INPUT', 'not valid JSON', { file: genPath, cause });
      }
    }
  }
  logger.info(MESSAGES.INFO, computingMetrics());
  return assessFidelity(
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
}

// --- f18-robustness: refuse comparisons that cannot mean anything (issue 18 #12, #26) ---

/**
 * Fewest real patients validation accepts: the noise floor splits them in halves, and the
 * survival tests need events in each half (2 patients gave "logRankTest: singular").
 */
export const MIN_REAL_PATIENTS = 20;

/**
 * Refuses a validation that would pass vacuously or die later: too few real patients, a
 * synthetic shard without an attribute of the real data, or shards with different attributes.
 *
 * @param realDir - the real timeline directory (for the message).
 * @param realAttributes - its attribute specs.
 * @param realPatients - its patient count.
 * @param syntheticDirs - the synthetic shard directories.
 * @param manifests - their manifests, in the same order.
 * @throws TrajsimError INVALID_INPUT naming the directory and the attributes.
 * @example
 * checkComparable('data/real', real.patients.attributes, 929, ['syn'], [readTimelineManifest('syn')])
 */
function checkComparable(
  realDir: string,
  realAttributes: readonly { name: string }[],
  realPatients: number,
  syntheticDirs: readonly string[],
  manifests: readonly TimelineManifest[],
): void {
  if (realPatients < MIN_REAL_PATIENTS) {
    throw new TrajsimError(
      'INVALID_INPUT',
      tooFewRealPatients(realDir, realPatients, MIN_REAL_PATIENTS),
    );
  }
  const names = (a: readonly { name: string }[]) => a.map((x) => x.name);
  const realNames = names(realAttributes);
  manifests.forEach((m, i) => {
    const missing = realNames.filter((n) => !names(m.attributes).includes(n));
    if (missing.length > 0) {
      throw new TrajsimError(
        'INVALID_INPUT',
        syntheticLacksAttributes(syntheticDirs[i]!, missing, realDir),
      );
    }
    const first = names(manifests[0]!.attributes).join(', ');
    if (names(m.attributes).join(', ') !== first) {
      throw new TrajsimError(
        'INVALID_INPUT',
        shardAttributesDiffer(syntheticDirs[i]!, names(m.attributes), syntheticDirs[0]!, first),
      );
    }
  });
}
