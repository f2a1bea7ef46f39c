// Over 400 lines on purpose: validation of timeline directories is one recipe in named steps
// (prepareRealSide -> summarizeSyntheticDir per shard -> assessSyntheticParts, with the
// provenance, plausibility, privacy and comparability checks they share); each function is short.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { TrajsimError } from '../core/errors.js';
import { parseJsonText, readTextFile } from '../core/json-file.js';
import {
  computingMetrics,
  type Logger,
  MESSAGES,
  SILENT_LOGGER,
  shardAttributesDiffer,
  summarisingReal,
  summaryPartsDoNotTile,
  syntheticLacksAttributes,
  tooFewRealPatients,
} from '../core/messages.js';
import { DEFAULT_SEED } from '../core/rng.js';
import { VERSION } from '../core/version.js';
import { auditRules, mergeRuleAudits, type RuleAudit } from '../rules/audit-rules.js';
import { mineRules } from '../rules/mine-rules.js';
import type { RuleEdits, RuleSet } from '../rules/rule-schema.js';
import { applyRuleEdits } from '../rules/rules-file.js';
import { readTimeline, readTimelineManifest } from '../timeline/read.js';
import { TIMELINE_FILES, type Timeline, type TimelineManifest } from '../timeline/types.js';
import { assessFidelity, type FidelityOptions } from './fidelity.js';
import { FINDING_CODES, type FidelityReport, type ReportProvenance } from './fidelity-report.js';
import { mergeSummaries } from './merge-summaries.js';
import { type PlausibilitySection, plausibilitySection } from './metrics/plausibility.js';
import {
  DEFAULT_REPEATS,
  MatchedSubsample,
  type RealSummaries,
  summarizeShard,
  summarizeWithHalves,
} from './noise-floor.js';
import type { PrivacyDirsOptions } from './privacy/privacy-dirs.js';
import type { TimelineSummary } from './summary.js';

/** Options of {@link validateTimelineDirs}. */
export interface ValidateDirsOptions extends FidelityOptions {
  /** Random half-splits of the real data (default 5). */
  readonly repeats?: number;
  /** Progress and notes (default silent). */
  readonly logger?: Logger;
  /** The user's rule edits, applied to the rules mined from the real side (`--rules FILE`). */
  readonly rules?: { readonly edits: RuleEdits; readonly file: string };
  /** Skip the plausibility audit (default: audit). */
  readonly plausibility?: false;
  /** Adds the Privacy section (its gate joins `passed`); the holdout defaults to the real data. */
  readonly privacy?: PrivacyDirsOptions & { readonly train: string; readonly holdout?: string };
  /** What the caller knows of the run, for the provenance table (time, command, thresholds). */
  readonly provenance?: Pick<ReportProvenance, 'createdAt' | 'commandLine' | 'thresholdsFile'>;
}

type SyntheticProvenance = NonNullable<ReportProvenance['synthetic']>[number];

/** A string or number field as text; anything else (or nothing) is left out, not an error. */
const text = z.union([z.string(), z.number()]).transform(String).optional().catch(undefined);
const part = <S extends z.ZodRawShape>(shape: S) => z.object(shape).optional().catch(undefined);

/** What the provenance table takes from generation.json (other fields are ignored). */
const generationProvenanceSchema = z.object({
  scenario: part({ name: text }),
  seed: text,
  backend: text,
  engine: text,
  shard: part({ index: text, count: text }),
  model: part({ dir: text, fingerprint: text }),
});

/** What the provenance table takes from a model's manifest.json. */
const modelProvenanceSchema = z.object({
  seed: text,
  training: part({ contentHash: text, name: text }),
  metrics: part({ validationNll: z.number().optional().catch(undefined) }),
});

/** The model manifest's provenance fields, or none when it is missing or unreadable. */
function modelProvenance(modelDir: string | undefined): z.output<typeof modelProvenanceSchema> {
  const path = modelDir === undefined ? undefined : join(modelDir, 'manifest.json');
  if (path === undefined || !existsSync(path)) return {};
  try {
    const parsed = modelProvenanceSchema.safeParse(parseJsonText(readTextFile(path), path));
    return parsed.success ? parsed.data : {};
  } catch {
    return {}; // provenance is best effort: an unreadable manifest leaves its rows out
  }
}

/**
 * The provenance of one synthetic directory: its manifest, what its generation.json says, and
 * what the model's manifest.json says when it is found at the path generation.json records.
 * Missing or differently shaped fields are left out, never guessed.
 *
 * @param dir - the synthetic timeline directory
 * @param manifest - its timeline.json
 * @param generation - its parsed generation.json (undefined when it has none)
 * @example
 * syntheticProvenance('out/syn', manifest, generationJson).modelFingerprint // => '1d9c…'
 */
export function syntheticProvenance(
  dir: string,
  manifest: TimelineManifest,
  generation: unknown,
): SyntheticProvenance {
  const parsed = generationProvenanceSchema.safeParse(generation);
  const g = parsed.success ? parsed.data : {};
  const model = modelProvenance(g.model?.dir);
  const optional = {
    scenario: g.scenario?.name,
    generationSeed: g.seed,
    backend: g.backend,
    engine: g.engine,
    shard:
      g.shard?.index !== undefined && g.shard.count !== undefined
        ? `${g.shard.index}/${g.shard.count}`
        : undefined,
    modelDir: g.model?.dir,
    modelFingerprint: g.model?.fingerprint,
    modelTrainingDataHash: model.training?.contentHash,
    modelTrainingData: model.training?.name,
    modelSeed: model.seed,
    modelValidationNll: model.metrics?.validationNll,
  };
  return {
    path: resolve(dir),
    contentHash: manifest.contentHash,
    patients: manifest.counts.patients,
    events: manifest.counts.events,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}

/** The real side of a validation: its summaries with random halves, mined rules and their audit. */
export interface RealSide {
  readonly realDir: string;
  readonly real: Timeline;
  readonly realManifest: TimelineManifest;
  readonly summaries: RealSummaries;
  readonly ruleSet: RuleSet | undefined;
  readonly audit: RuleAudit | undefined;
  readonly repeats: number;
  readonly seed: string;
}

/**
 * Reads and summarises the real timeline of a validation (with its `repeats` random halves),
 * mines its plausibility rules (with the user's edits) and audits it: what every synthetic
 * shard is compared with. Throws like {@link validateTimelineDirs}.
 *
 * @example
 * const real = await prepareRealSide('data/colon', { thresholds, seed: '1' });
 * real.summaries.halves.length // => 5
 */
export async function prepareRealSide(
  realDir: string,
  options: ValidateDirsOptions,
): Promise<RealSide> {
  const logger = options.logger ?? SILENT_LOGGER;
  const repeats = options.repeats ?? DEFAULT_REPEATS;
  const seed = String(options.seed ?? DEFAULT_SEED);
  const real = await readTimeline(realDir);
  if (real.patients.ids.length < MIN_REAL_PATIENTS) {
    throw new TrajsimError(
      'INVALID_INPUT',
      tooFewRealPatients(realDir, real.patients.ids.length, MIN_REAL_PATIENTS),
    );
  }
  logger.info(MESSAGES.INFO, summarisingReal(realDir, real.patients.ids.length, repeats));
  const summaries = summarizeWithHalves(real, { repeats, seed });
  let ruleSet = options.plausibility === false ? undefined : mineRules(real);
  if (ruleSet && options.rules)
    ruleSet = applyRuleEdits(ruleSet, options.rules.edits, options.rules.file);
  const audit = ruleSet ? auditRules(real, ruleSet.rules) : undefined;
  const realManifest = readTimelineManifest(realDir);
  return { realDir, real, realManifest, summaries, ruleSet, audit, repeats, seed };
}

/** One synthetic directory's share of a validation: all a report needs of it (serialisable). */
export interface SyntheticPart {
  readonly manifest: TimelineManifest;
  /** Global index of its first patient, and the patients of the whole synthetic cohort. */
  readonly firstPatient: number;
  readonly totalPatients: number;
  readonly full: TimelineSummary;
  /** Its patients of each matched subsample (repeat r). */
  readonly matched: readonly TimelineSummary[];
  /** Its audit against the rules mined from the real side (undefined: no plausibility audit). */
  readonly audit: RuleAudit | undefined;
  readonly generation: { readonly source: string; readonly content: unknown } | undefined;
  readonly provenance: SyntheticProvenance;
}

/** The matched subsamples of a synthetic cohort of `totalPatients` against `real`'s halves. */
function matchedSubsampleOf(real: RealSide, totalPatients: number): MatchedSubsample {
  return new MatchedSubsample(
    totalPatients,
    real.summaries.halves[0]!.b.patients,
    real.repeats,
    real.seed,
  );
}

/**
 * Summarises one synthetic directory for a validation against `real`: its summary, its part
 * of the matched subsamples of a cohort of `totalPatients` in which its first patient has
 * index `firstPatient`, its rule audit, its generation.json and provenance. Parts of the
 * shards of one cohort combine exactly ({@link assessSyntheticParts}).
 *
 * @throws TrajsimError IO / INVALID_INPUT for a missing or malformed directory,
 *   INVALID_ARGUMENT when the shard runs past `totalPatients`.
 * @example
 * const part = await summarizeSyntheticDir('out/syn-1', real, 0, 20_000);
 * part.full.patients // => the shard's patients
 */
export async function summarizeSyntheticDir(
  dir: string,
  real: RealSide,
  firstPatient: number,
  totalPatients: number,
  subsample: MatchedSubsample = matchedSubsampleOf(real, totalPatients),
): Promise<SyntheticPart> {
  const manifest = readTimelineManifest(dir);
  checkComparable(real.realDir, real.real.patients.attributes, [dir], [manifest]);
  const timeline = await readTimeline(dir);
  const { full, matched } = summarizeShard(timeline, firstPatient, subsample);
  const audit = real.ruleSet ? auditRules(timeline, real.ruleSet.rules) : undefined;
  const genPath = join(dir, TIMELINE_FILES.GENERATION);
  const content = existsSync(genPath) ? parseJsonText(readTextFile(genPath), genPath) : undefined;
  return {
    manifest,
    firstPatient,
    totalPatients,
    full,
    matched,
    audit,
    generation: content === undefined ? undefined : { source: genPath, content },
    provenance: syntheticProvenance(dir, manifest, content),
  };
}

/**
 * The fidelity report of synthetic parts (the shards of one cohort, in order) against the
 * real side: their summaries merged exactly (count tables add), then the metrics, provenance
 * and plausibility section, as {@link validateTimelineDirs} makes them.
 *
 * @throws TrajsimError INVALID_INPUT when the parts do not tile one cohort in order, or have
 *   different attributes.
 * @example
 * const report = assessSyntheticParts(real, [part1, part2], { thresholds, seed: '1' });
 */
export function assessSyntheticParts(
  real: RealSide,
  parts: readonly SyntheticPart[],
  options: ValidateDirsOptions,
  names: readonly string[] = parts.map((p) => p.provenance.path),
): FidelityReport {
  const logger = options.logger ?? SILENT_LOGGER;
  checkComparable(
    real.realDir,
    real.real.patients.attributes,
    names,
    parts.map((p) => p.manifest),
  );
  let first = 0;
  parts.forEach((p, i) => {
    const total = parts[0]!.totalPatients;
    if (p.firstPatient !== first || p.totalPatients !== total) {
      throw new TrajsimError('INVALID_INPUT', summaryPartsDoNotTile(names[i]!, p, first, total));
    }
    first += p.full.patients;
  });
  if (first !== parts[0]!.totalPatients) {
    throw new TrajsimError(
      'INVALID_INPUT',
      summaryPartsDoNotTile(
        names[parts.length - 1]!,
        parts[parts.length - 1]!,
        first,
        parts[0]!.totalPatients,
      ),
    );
  }
  logger.info(MESSAGES.INFO, computingMetrics());
  const report = assessFidelity(
    {
      real: real.summaries,
      realName: real.real.name,
      synthetic: mergeSummaries(parts.map((s) => s.full)),
      syntheticNames: parts.map((p) => p.manifest.name),
      matched: Array.from({ length: real.repeats }, (_, r) =>
        mergeSummaries(parts.map((s) => s.matched[r]!)),
      ),
      generation: parts.flatMap((p) => (p.generation ? [p.generation] : [])),
    },
    { ...options, seed: real.seed },
  );
  const provenance: ReportProvenance = {
    trajsimVersion: VERSION,
    ...(options.provenance ?? {}),
    real: {
      path: resolve(real.realDir),
      contentHash: real.realManifest.contentHash,
      ...real.realManifest.counts,
    },
    synthetic: parts.map((p) => p.provenance),
  };
  const withProvenance: FidelityReport = { ...report, provenance };
  let synAudit: RuleAudit | undefined;
  for (const p of parts) {
    if (!p.audit) continue;
    if (synAudit) mergeRuleAudits(synAudit, p.audit);
    else
      synAudit = {
        rules: p.audit.rules,
        counts: p.audit.counts.map((c) => ({ ...c, examples: [...c.examples] })),
      };
  }
  return real.audit && synAudit
    ? withPlausibility(withProvenance, plausibilitySection(real.audit, synAudit))
    : withProvenance;
}

/**
 * Validates synthetic timeline directories (shards of one cohort, in the order given)
 * against a real one. Reads one directory at a time, keeping only its summary, so memory is
 * bounded by the largest shard. A shard's `generation.json`, when present, is carried into
 * the report as is, and the provenance table (paths, content hashes, counts, model and
 * generation settings, version) is filled from the manifests. The same as summarising each
 * directory ({@link summarizeSyntheticDir}, `trajsim summarize`) and assessing the parts.
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
  const manifests = syntheticDirs.map((dir) => readTimelineManifest(dir));
  const real = await prepareRealSide(realDir, options);
  checkComparable(realDir, real.real.patients.attributes, syntheticDirs, manifests);
  const total = manifests.reduce((n, m) => n + m.counts.patients, 0);
  const subsample = matchedSubsampleOf(real, total);
  const parts: SyntheticPart[] = [];
  let first = 0;
  for (const [i, dir] of syntheticDirs.entries()) {
    const part = await summarizeSyntheticDir(dir, real, first, total, subsample);
    parts.push(part);
    first += part.full.patients;
    logger.progress?.(
      'summarising synthetic patients',
      first,
      total,
      `(shard ${i + 1}/${syntheticDirs.length})`,
    );
  }
  const report = assessSyntheticParts(real, parts, options, syntheticDirs);
  return options.privacy
    ? withPrivacy(report, realDir, syntheticDirs, options.privacy, logger)
    : report;
}

/**
 * A fidelity report with its Plausibility section: a finding per failed hard rule, and the
 * verdict fails when any does.
 *
 * @example
 * withPlausibility(report, plausibilitySection(realAudit, syntheticAudit)).plausibility?.passed
 */
export function withPlausibility(
  report: FidelityReport,
  section: PlausibilitySection,
): FidelityReport {
  const findings = section.rules
    .filter((r) => r.pass === false)
    .map((r) => ({
      code: FINDING_CODES.PLAUSIBILITY_FAILED,
      path: `plausibility.${r.id}`,
      message: `${r.rule}: broken by ${r.synthetic.violating} of ${r.synthetic.patients} synthetic patients (real: ${r.real.violating} of ${r.real.patients}), e.g. ${r.synthetic.examples.join(', ')}`,
      severity: 'error' as const,
      statistic: r.synthetic.rate.estimate,
      threshold: r.real.rate.estimate,
    }));
  return {
    ...report,
    passed: report.passed && section.passed,
    findings: [...report.findings, ...findings],
    plausibility: section,
  };
}

/** The report with its Privacy section; the real data is the holdout unless one is given. */
async function withPrivacy(
  report: FidelityReport,
  realDir: string,
  syntheticDirs: readonly string[],
  privacy: NonNullable<ValidateDirsOptions['privacy']>,
  logger: Logger,
): Promise<FidelityReport> {
  const { train, holdout, ...options } = privacy;
  // loaded here: the likelihood attack needs tfjs, which `trajsim` need not load at startup
  const { assessPrivacyDirs } = await import('./privacy/privacy-dirs.js');
  const result = await assessPrivacyDirs(train, holdout ?? realDir, syntheticDirs, {
    holdoutSource: holdout
      ? `--holdout ${holdout}`
      : `the --real timeline ${realDir} (not used in training)`,
    logger,
    ...options,
  });
  return { ...report, passed: report.passed && result.passed, privacy: result };
}

// --- f18-robustness: refuse comparisons that cannot mean anything (issue 18 #12, #26) ---

/**
 * Fewest real patients validation accepts: the noise floor splits them in halves, and the
 * survival tests need events in each half (2 patients gave "logRankTest: singular").
 */
export const MIN_REAL_PATIENTS = 20;

/**
 * Refuses a validation that would pass vacuously or die later (too few real patients are
 * refused by {@link prepareRealSide}): a synthetic shard without an attribute of the real data, or shards with different attributes.
 *
 * @param realDir - the real timeline directory (for the message).
 * @param realAttributes - its attribute specs.
 * @param syntheticDirs - the synthetic shard directories.
 * @param manifests - their manifests, in the same order.
 * @throws TrajsimError INVALID_INPUT naming the directory and the attributes.
 * @example
 * checkComparable('data/real', real.patients.attributes, ['syn'], [readTimelineManifest('syn')])
 */
function checkComparable(
  realDir: string,
  realAttributes: readonly { name: string }[],
  syntheticDirs: readonly string[],
  manifests: readonly TimelineManifest[],
): void {
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
