/**
 * trajsim: learn oncology patient timelines, generate synthetic cohorts from scenarios, and
 * prove their temporal fidelity. The public library API; the `trajsim` CLI is a thin layer
 * over it. Grouped by pipeline verb (import/inspect/export, reference, train, rules, generate,
 * validate, infer, privacy, report) after the shared core; each function's TSDoc has an
 * @example. One entry point per verb: generation is `runGeneration` (a scenario, or a plain
 * run through `scenarioOfOptions`), validation is `validateTimelineDirs`; their lower-level
 * building blocks (generateCohort, assessTimelines) stay internal. Internals (the timeline
 * writer, step models, summary merging, distance indexes) are not exported: the package's
 * `exports` map has "." only. test/public-api.test.ts pins the sorted list of exports.
 */

// --- Core: errors, seeded randomness, days, messages, shards ---

export { formatIsoDay, parseIsoDay } from './core/days.js';
export { ERROR_CODES, type ErrorCode, TrajsimError } from './core/errors.js';
export { type Logger, MESSAGES, SILENT_LOGGER } from './core/messages.js';
export { DEFAULT_SEED, Rng } from './core/rng.js';
export { parseShard, type Shard, shardRange } from './core/shard.js';
export { VERSION } from './core/version.js';

// --- Timeline: import, inspect, export (CSV, Arrow, Parquet, OMOP CDM) ---

export { type ExportOptions, exportTimeline } from './timeline/export.js';
export { type ImportOptions, importTimeline } from './timeline/import.js';
export { type MergeOptions, mergeTimelines } from './timeline/merge.js';
export {
  exportOmop,
  type OmopExportOptions,
  type OmopExportSummary,
} from './timeline/omop/export-omop.js';
export { importOmop, type OmopImportOptions } from './timeline/omop/import-omop.js';
export { OMOP_FORMATS, type OmopFormat } from './timeline/omop/omop-table.js';
export { readParquetBatches, writeParquetBatches } from './timeline/parquet.js';
export { readTimeline, readTimelineManifest } from './timeline/read.js';
export { selectPatients } from './timeline/select-patients.js';
export {
  type Attribute,
  type AttributeSpec,
  isTerminalCode,
  TERMINAL_CODES,
  TIMELINE_FILES,
  type Timeline,
  type TimelineManifest,
} from './timeline/types.js';
export { type WriteTimelineOptions, writeTimeline } from './timeline/write-timeline.js';
export { inspectTimeline } from './validate/inspect-timeline.js';

// --- Statistics: survival statistics that match R survival ---

export { type CoxResult, coxPh } from './stats/cox-ph.js';
export { cumulativeIncidence } from './stats/cumulative-incidence.js';
export { describeTimeline, type TimelineDescription } from './stats/describe-timeline.js';
export { type CodeValueDescription, describeValues } from './stats/describe-values.js';
export { endpointTimes } from './stats/endpoints.js';
export { type KaplanMeierResult, kaplanMeier, survivalAt } from './stats/kaplan-meier.js';
export { logRankTest } from './stats/log-rank.js';
export { normalQuantile, normalUpperTail } from './stats/normal.js';
export { restrictedMean } from './stats/restricted-mean.js';
export { ksSamples, wasserstein1Samples } from './stats/sample-distances.js';
export { type ProportionInterval, wilsonInterval } from './stats/wilson-interval.js';

// --- Reference: the known-truth oncology process ---

export { REFERENCE_MARKER, REFERENCE_PARAMETERS } from './reference/reference-parameters.js';
export { type SimulateReferenceOptions, simulateReference } from './reference/reference-process.js';
export { trueSurvival } from './reference/true-survival.js';

// --- Model: training, loading, backends ---

export { BACKENDS, type BackendName, selectBackend } from './model/backend.js';
export { ENGINES, type EngineName, type EngineOptions } from './model/engine.js';
export { exportOnnx, ONNX_FILES } from './model/onnx-export.js';
export { type LoadedModel, loadModel } from './model/read-model.js';
export {
  type RefitAttributeModelOptions,
  refitAttributeModel,
} from './model/refit-attribute-model.js';
export {
  type CodeHeadRefitOptions,
  type CodeHeadRefitReport,
  refitModelFolderCodeHead,
} from './model/refit-code-head.js';
export { type TrainModelOptions, trainModel } from './model/train-model.js';

// --- Plausibility rules: mined, declared, enforced, audited ---

export { auditRules, type RuleAudit } from './rules/audit-rules.js';
export { describeRule, describeRuleWithSupport } from './rules/describe-rule.js';
export { type MineRulesOptions, mineRules } from './rules/mine-rules.js';
export {
  type Rule,
  type RuleEdits,
  type RuleSet,
  ruleEditsSchema,
  ruleId,
  ruleSetSchema,
  rulesJsonSchemas,
} from './rules/rule-schema.js';
export { applyRuleEdits, readModelRules, readRuleEdits, writeRuleSet } from './rules/rules-file.js';

// --- Generate: one entry point, runGeneration (a scenario file, or a plain run) ---

export type { HistoryPrefix } from './generate/generation-types.js';
export {
  loadEngineGenerationModel,
  loadGenerationModel,
} from './generate/load-generation-model.js';
export type { GenerationModel } from './generate/step-model.js';
export { loadScenario, parseScenario } from './scenario/load-scenario.js';
export {
  type GenerationRecord,
  type RunGenerationOptions,
  runGeneration,
} from './scenario/run-generation.js';
export { type ScenarioOptions, scenarioOfOptions } from './scenario/scenario-of-options.js';
export { type Scenario, scenarioJsonSchema, scenarioSchema } from './scenario/schema.js';

// --- Validate: one entry point, validateTimelineDirs (fidelity against real data) ---

export {
  type CoxTermComparison,
  compareAttributeCox,
} from './validate/compare-attribute-cox.js';
export { defaultThresholds } from './validate/default-thresholds.js';
export type { FidelityReport } from './validate/fidelity-report.js';
export { readThresholds, type Thresholds } from './validate/thresholds.js';
export { type ValidateDirsOptions, validateTimelineDirs } from './validate/validate-dirs.js';
export type { CodeValues } from './validate/value-summary.js';

// --- Inference: a small real sample + twins + a large synthetic cohort (docs/inference.md) ---

export { type GenerateTwinsOptions, generateTwins } from './infer/generate-twins.js';
export { type RunInferenceOptions, runInference, runInferences } from './infer/run-inference.js';
export {
  type CombinedInference,
  clusterInfluence,
  combineEstimates,
} from './stats/inference/combine-estimates.js';
export {
  type InferenceResult,
  inferFromTimelines,
} from './stats/inference/infer-from-timelines.js';
export {
  describeQuery,
  estimateTarget,
  type InferenceQuery,
  type InferenceTarget,
  parseInferenceTarget,
} from './stats/inference/inference-target.js';

// --- Digital twins: futures of real patients from their history to a landmark (docs/twins.md) ---

export {
  type ExcludedPatients,
  historyPrefixes,
  type LandmarkSpec,
  readLandmarkFile,
} from './infer/history-prefixes.js';
export {
  generateHistoryTwins,
  type HistoryTwinsOptions,
  type HistoryTwinsResult,
  type TwinIntervention,
} from './infer/history-twins.js';
export { historyTwinsOfDirs, twinInterventionOf } from './infer/history-twins-of-dirs.js';
export type { TwinArmDifference } from './infer/twin-difference.js';
export {
  DEFAULT_TWIN_HORIZONS_DAYS,
  type TwinSummaryRow,
} from './infer/twin-summary.js';

// --- Privacy: copies, holdout DCR, membership and attribute inference (docs/privacy.md) ---

export { assessPrivacy, type PrivacyOptions } from './validate/privacy/assess-privacy.js';
export { assessPrivacyDirs } from './validate/privacy/privacy-dirs.js';
export {
  defaultPrivacyThresholds,
  type PrivacyMetric,
  type PrivacyReport,
} from './validate/privacy/privacy-report.js';

// --- Twin evaluation: calibration and discrimination after a landmark (docs/twins-evaluation.md) ---

export { trueLandmarkRisk } from './reference/landmark-risk.js';
export { brierScore, integratedBrierScore } from './stats/brier-score.js';
export { calibrationCurve, calibrationSlope } from './stats/calibration-curve.js';
export { concordanceIndex } from './stats/concordance-index.js';
export { landmarkCohort } from './stats/landmark-cohort.js';
export { fitLandmarkCox, predictLandmarkRisk } from './stats/landmark-cox.js';
export {
  evaluateLandmarkPredictions,
  heldOutSplit,
  type LandmarkEvaluation,
  type LandmarkPredictions,
} from './validate/landmark-evaluation.js';
export { readLandmarkPredictions } from './validate/read-landmark-predictions.js';

// --- Report ---

export { renderReportHtml } from './report/render-report.js';
export { renderTwinsEvaluationSection } from './report/twins-evaluation-section.js';

// --- Evidence and benchmarks: lower-level probes that scripts/ measure with ---

export { type CodeCalibration, codeCalibration } from './model/code-calibration.js';
export { probeStepThroughput, type StepProbeOptions } from './model/throughput-probe.js';
export {
  probeTrainThroughput,
  type TrainProbeOptions,
  type TrainProbeResult,
} from './model/train-throughput-probe.js';
export { trainingSplit } from './model/training-summary.js';
export { type EventNll, eventNll } from './model/trajectory-nll.js';
export {
  type MakeTrueSurvivalTableOptions,
  makeTrueSurvivalTable,
} from './reference/true-survival-table.js';
