import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrajsimError } from '../core/errors.js';
import {
  computingMetrics,
  type Logger,
  MESSAGES,
  SILENT_LOGGER,
  summarisingReal,
} from '../core/messages.js';
import { DEFAULT_SEED } from '../core/rng.js';
import { auditRules, mergeRuleAudits, type RuleAudit } from '../rules/audit-rules.js';
import { mineRules } from '../rules/mine-rules.js';
import type { RuleEdits } from '../rules/rule-schema.js';
import { applyRuleEdits } from '../rules/rules-file.js';
import { readTimeline, readTimelineManifest } from '../timeline/read.js';
import { TIMELINE_FILES } from '../timeline/types.js';
import { assessFidelity, type FidelityOptions } from './fidelity.js';
import { FINDING_CODES, type FidelityReport } from './fidelity-report.js';
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
    if (existsSync(genPath)) {
      try {
        generation.push({ source: genPath, content: JSON.parse(readFileSync(genPath, 'utf8')) });
      } catch (cause) {
        throw new TrajsimError('INVALID_INPUT', 'not valid JSON', { file: genPath, cause });
      }
    }
  }
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
  const audited =
    realAudit && synAudit
      ? withPlausibility(report, plausibilitySection(realAudit, synAudit))
      : report;
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
