/**
 * Serialised validation summaries (issue 11 item 7): `trajsim summarize DIR --real R --out
 * S.json` writes a shard's {@link SyntheticPart} (its exact, mergeable summary, its part of the
 * matched subsamples, its rule audit, generation.json and provenance) in tagged JSON
 * (core/tagged-json.ts: generic over the summary's fields, so fields added to the summary
 * serialise too); `trajsim validate --real R --summaries S1.json S2.json ...` reads them back
 * and merges them into the report one process reading every shard would give, byte for byte.
 *
 * A shard's part depends on the real side (the matched subsample's size is the real half's,
 * the audit uses the rules mined from the real data) and on the validation seed and repeats:
 * the file records them and `validate --summaries` refuses a file made against another real
 * timeline, seed, repeats or rule set.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { TrajsimError } from '../core/errors.js';
import { parseJsonText, readTextFile } from '../core/json-file.js';
import { decodeTagged, encodeTagged } from '../core/tagged-json.js';
import { VERSION } from '../core/version.js';
import { readTimelineManifest } from '../timeline/read.js';
import { TIMELINE_FILES } from '../timeline/types.js';
import type { FidelityReport } from './fidelity-report.js';
import {
  assessSyntheticParts,
  prepareRealSide,
  type RealSide,
  type SyntheticPart,
  summarizeSyntheticDir,
  type ValidateDirsOptions,
} from './validate-dirs.js';

/** The `format` of a summary file. */
export const SUMMARY_FILE_FORMAT = 'trajsim-summary';

const header = z.object({
  format: z.literal(SUMMARY_FILE_FORMAT),
  formatVersion: z.literal(1),
  trajsimVersion: z.string(),
  against: z.object({
    realContentHash: z.string(),
    realPatients: z.number().int(),
    seed: z.string(),
    repeats: z.number().int(),
    rules: z.string(),
  }),
  part: z.record(z.string(), z.unknown()),
});

/** What a part was computed against: the real data, seed, repeats and rules. */
function againstOf(real: RealSide): z.output<typeof header>['against'] {
  return {
    realContentHash: real.realManifest.contentHash,
    realPatients: real.real.patients.ids.length,
    seed: real.seed,
    repeats: real.repeats,
    rules: real.ruleSet
      ? createHash('sha256').update(JSON.stringify(real.ruleSet.rules)).digest('hex')
      : 'none',
  };
}

/** Where a synthetic directory sits in its cohort: from generation.json, else the whole cohort. */
function positionOf(dir: string): { firstPatient: number; totalPatients: number } {
  const patients = readTimelineManifest(dir).counts.patients;
  const path = join(dir, TIMELINE_FILES.GENERATION);
  if (!existsSync(path)) return { firstPatient: 0, totalPatients: patients };
  const record = z
    .object({
      scenario: z.object({ patients: z.number().int() }).passthrough(),
      shard: z.object({ firstPatient: z.number().int() }).passthrough().nullable(),
    })
    .passthrough()
    .safeParse(parseJsonText(readTextFile(path), path));
  if (!record.success || record.data.shard === null) {
    return { firstPatient: 0, totalPatients: patients };
  }
  return {
    firstPatient: record.data.shard.firstPatient,
    totalPatients: record.data.scenario.patients,
  };
}

/** Options of {@link summarizeForValidation}. */
export interface SummarizeForValidationOptions extends ValidateDirsOptions {
  /** Global index of the directory's first patient (default: generation.json's shard, else 0). */
  readonly firstPatient?: number;
  /** Patients of the whole synthetic cohort (default: generation.json's scenario, else the directory's). */
  readonly totalPatients?: number;
}

/**
 * The summary file text of one synthetic directory (a shard) for a validation against
 * `realDir` with these options (seed, repeats, rules): see the module comment.
 *
 * @throws TrajsimError like validate (IO, INVALID_INPUT), INVALID_ARGUMENT when the shard
 *   runs past the cohort's total.
 * @example
 * writeFileSync('s1.json', await summarizeForValidation('out/shard-1', 'data/colon', { thresholds, seed: '1' }));
 */
export async function summarizeForValidation(
  dir: string,
  realDir: string,
  options: SummarizeForValidationOptions,
): Promise<string> {
  const real = await prepareRealSide(realDir, options);
  const at = positionOf(dir);
  const part = await summarizeSyntheticDir(
    dir,
    real,
    options.firstPatient ?? at.firstPatient,
    options.totalPatients ?? at.totalPatients,
  );
  const file = {
    format: SUMMARY_FILE_FORMAT,
    formatVersion: 1,
    trajsimVersion: VERSION,
    against: againstOf(real),
    part: encodeTagged(part),
  };
  return `${JSON.stringify(file)}\n`;
}

/** Kind of a value, for the shape check ('Float64Array', 'Map', 'number', ...). */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  return Array.isArray(v) ? 'array' : (v.constructor?.name ?? 'object');
}

/** Refuses a decoded summary whose fields differ from the ones this version computes. */
function checkShape(reference: object, value: unknown, where: string): void {
  for (const [key, ref] of Object.entries(reference)) {
    const v = (value as Record<string, unknown> | null)?.[key];
    if (kindOf(v) !== kindOf(ref)) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `field ${key} is ${v === undefined ? 'missing' : `a ${kindOf(v)}`}; this trajsim (${VERSION}) writes a ${kindOf(ref)}: summarise the shard again with this version`,
        { file: where },
      );
    }
  }
}

/**
 * Reads a summary file written by {@link summarizeForValidation} back into the part it holds,
 * checked against `real` (same real data, seed, repeats and rules).
 *
 * @throws TrajsimError INVALID_INPUT naming the file and what differs
 * @example
 * readSummaryFile('s1.json', real).full.patients // => the shard's patients
 */
export function readSummaryFile(path: string, real: RealSide): SyntheticPart {
  const parsed = header.safeParse(parseJsonText(readTextFile(path), path));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TrajsimError(
      'INVALID_INPUT',
      `not a trajsim summary (${issue.path.join('.') || 'file'}: ${issue.message}); write one with trajsim summarize`,
      { file: path },
    );
  }
  const expected = againstOf(real);
  for (const [key, value] of Object.entries(expected)) {
    const got = parsed.data.against[key as keyof typeof expected];
    if (got !== value) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `summarised with ${key} ${String(got).slice(0, 16)}, but this validation has ${String(value).slice(0, 16)}: run trajsim summarize with the same --real, --seed, --repeats and --rules as validate`,
        { file: path },
      );
    }
  }
  const part = decodeTagged(parsed.data.part, 'part') as SyntheticPart;
  checkShape(real.summaries.full, part.full, path);
  if (!Array.isArray(part.matched) || part.matched.length !== real.repeats) {
    throw new TrajsimError('INVALID_INPUT', `matched: expected ${real.repeats} subsamples`, {
      file: path,
    });
  }
  for (const m of part.matched) checkShape(real.summaries.full, m, path);
  return part;
}

/**
 * Validates serialised shard summaries (in shard order) against a real timeline: the same
 * report as {@link validateTimelineDirs} on the shard directories (privacy and inference need
 * the directories and are not available here).
 *
 * @throws TrajsimError INVALID_ARGUMENT for no file, INVALID_INPUT for a malformed or foreign
 *   file or shards that do not tile one cohort in order
 * @example
 * const report = await validateSummaryFiles('data/colon', ['s1.json', 's2.json'], { thresholds, seed: '1' });
 */
export async function validateSummaryFiles(
  realDir: string,
  files: readonly string[],
  options: ValidateDirsOptions,
): Promise<FidelityReport> {
  if (files.length === 0) throw new TrajsimError('INVALID_ARGUMENT', 'no summary file given');
  const real = await prepareRealSide(realDir, options);
  const parts = files.map((f) => readSummaryFile(f, real));
  return assessSyntheticParts(real, parts, options, files);
}
