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
  syntheticLacksAttributes,
  tooFewRealPatients,
} from '../core/messages.js';
import { DEFAULT_SEED } from '../core/rng.js';
import { VERSION } from '../core/version.js';
import { auditRules, mergeRuleAudits, type RuleAudit } from '../rules/audit-rules.js';
import { mineRules } from '../rules/mine-rules.js';
import type { RuleEdits } from '../rules/rule-schema.js';
import { applyRuleEdits } from '../rules/rules-file.js';
import { readTimeline, readTimelineManifest } from '../timeline/read.js';
import { TIMELINE_FILES, type TimelineManifest } from '../timeline/types.js';
import { assessFidelity, type FidelityOptions } from './fidelity.js';
import { FINDING_CODES, type FidelityReport, type ReportProvenance } from './fidelity-report.js';
import { mergeSummaries } from './merge-summaries.js';
import { type PlausibilitySection, plausibilitySection } from './metrics/plausibility.js';
import {
  DEFAULT_REPEATS,
  MatchedSubsample,
  type ShardSummaries,
  summarizeShard,
  summarizeWithHalves,
} from './noise-floor.js';
import { assessPrivacyDirs, type PrivacyDirsOptions } from './privacy/privacy-dirs.js';

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
  checkComparable(
    realDir,
    real.patients.attributes,
    real.patients.ids.length,
    syntheticDirs,
    manifests,
  );
  logger.info(MESSAGES.INFO, summarisingReal(realDir, real.patients.ids.length, repeats));
  const realSummaries = summarizeWithHalves(real, { repeats, seed });
  let ruleSet = options.plausibility === false ? undefined : mineRules(real);
  if (ruleSet && options.rules)
    ruleSet = applyRuleEdits(ruleSet, options.rules.edits, options.rules.file);
  const realAudit = ruleSet ? auditRules(real, ruleSet.rules) : undefined;
  let synAudit: RuleAudit | undefined;
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
    if (ruleSet) {
      const audit = auditRules(timeline, ruleSet.rules);
      if (synAudit) mergeRuleAudits(synAudit, audit);
      else synAudit = audit;
    }
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
      content = parseJsonText(readTextFile(genPath), genPath);
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
  const withProvenance: FidelityReport = { ...report, provenance };
  const audited =
    realAudit && synAudit
      ? withPlausibility(withProvenance, plausibilitySection(realAudit, synAudit))
      : withProvenance;
  return options.privacy
    ? withPrivacy(audited, realDir, syntheticDirs, options.privacy, logger)
    : audited;
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
