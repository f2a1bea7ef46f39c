// Over 400 lines on purpose: the catalog is one file by design (every user-facing text in one
// place, new functions appended per branch); each function in it is a few lines.
/**
 * The catalog of user-facing texts, in the manner of vega-lite's `log/message.ts`: every
 * warning, note and shared error text is built by a named function below, so a text is
 * written once and can be found and reworded in one place. Library code never prints: it
 * calls a {@link Logger}, which the CLI connects to stderr and tests can capture.
 *
 * Codes: a warning has a code of its own (what went wrong); notes and progress use INFO and
 * PROGRESS.
 */
export const MESSAGES = {
  RARE_CODE_GROUPED: 'RARE_CODE_GROUPED',
  LOW_ACCEPTANCE: 'LOW_ACCEPTANCE',
  IGNORED_COLUMNS: 'IGNORED_COLUMNS',
  HORIZON_EXTRAPOLATED: 'HORIZON_EXTRAPOLATED',
  STALE_TEMPORARY_REMOVED: 'STALE_TEMPORARY_REMOVED',
  PREVIOUS_OUTPUT_RESTORED: 'PREVIOUS_OUTPUT_RESTORED',
  PROGRESS: 'PROGRESS',
  INFO: 'INFO',
  RMST_TAU_BEYOND_FOLLOWUP: 'RMST_TAU_BEYOND_FOLLOWUP',
  OMOP_UNMAPPED: 'OMOP_UNMAPPED',
} as const;

export type MessageCode = (typeof MESSAGES)[keyof typeof MESSAGES];

export interface Logger {
  warn(code: MessageCode, message: string): void;
  info(code: MessageCode, message: string): void;
  /** Progress of long work; `done` of `total` units (total NaN when unknown). */
  progress?(label: string, done: number, total: number, detail?: string): void;
}

/** A logger that drops everything: the default for library calls. */
export const SILENT_LOGGER: Logger = {
  warn() {},
  info() {},
};

/**
 * A logger that records every message; for tests.
 *
 * @example
 * const logger = createMemoryLogger();
 * logger.warn(MESSAGES.LOW_ACCEPTANCE, 'only 3 of 1000 candidates met the criteria');
 * logger.records[0].code // => 'LOW_ACCEPTANCE'
 */
export function createMemoryLogger(): Logger & {
  readonly records: { level: 'warn' | 'info'; code: MessageCode; message: string }[];
} {
  const records: { level: 'warn' | 'info'; code: MessageCode; message: string }[] = [];
  return {
    records,
    warn(code, message) {
      records.push({ level: 'warn', code, message });
    },
    info(code, message) {
      records.push({ level: 'info', code, message });
    },
  };
}

// --- r-core ---

/**
 * Message: a stale temporary folder of a killed run was removed.
 *
 * @param path - the temporary folder
 * @param pid - the process that had created it
 * @example
 * staleTemporaryRemoved('/out/.colon.tmp-42-1', 42) // => 'removed /out/.colon.tmp-42-1, ...'
 */
export function staleTemporaryRemoved(path: string, pid: number): string {
  return `removed ${path}, a temporary left by an interrupted run (process ${pid})`;
}

/**
 * Message: the previous output, moved aside by a commit that was killed half-way, was put back.
 *
 * @param path - the output folder
 * @param pid - the process whose commit was interrupted
 * @example
 * previousOutputRestored('/out/colon', 42) // => 'restored /out/colon from ...'
 */
export function previousOutputRestored(path: string, pid: number): string {
  return `restored ${path} from a commit interrupted in process ${pid}`;
}

/**
 * Message: the run was stopped by a signal; its temporary output was removed.
 *
 * @param signal - 'SIGINT' or 'SIGTERM'
 * @param removed - number of temporary outputs removed
 * @example
 * interruptedBySignal('SIGTERM', 1) // => 'trajsim: stopped by SIGTERM; removed 1 unfinished output folder ...'
 */
export function interruptedBySignal(signal: string, removed: number): string {
  return `trajsim: stopped by ${signal}; removed ${removed} unfinished output folder${removed === 1 ? '' : 's'} (checkpoints of --resume runs are kept)`;
}

// --- r-msg ---

/**
 * Warning: rare codes grouped into the catch-all code.
 *
 * @param count - how many codes were grouped
 * @param minPatients - the patient threshold
 * @param otherCode - the catch-all code
 * @param list - the grouped codes, comma-separated
 * @example
 * rareCodesGrouped(2, 5, 'OTHER', 'A, B')
 * // => '2 code(s) seen in fewer than 5 patients grouped into OTHER: A, B'
 */
export function rareCodesGrouped(
  count: number,
  minPatients: number,
  otherCode: string,
  list: string,
): string {
  return `${count} code(s) seen in fewer than ${minPatients} patients grouped into ${otherCode}: ${list}`;
}

/**
 * Error text: a scenario names a code the model does not know.
 *
 * @param code - the code asked for
 * @param known - the model's codes
 * @example
 * codeNotInVocabulary('RELAPSE', ['DEATH', 'DIAGNOSIS'])
 * // => "code 'RELAPSE' is not in the model's vocabulary; known codes: DEATH, DIAGNOSIS"
 */
export function codeNotInVocabulary(code: string, known: readonly string[]): string {
  return `code '${code}' is not in the model's vocabulary; known codes: ${known.join(', ')}`;
}

/**
 * Error text: a timeline code the model does not know and cannot group.
 *
 * @param code - the timeline's code
 * @param otherCode - the catch-all code the vocabulary lacks
 * @example
 * codeNotInVocabularyNoOther('X', 'OTHER')
 * // => "code 'X' is not in the model's vocabulary and the vocabulary has no OTHER code"
 */
export function codeNotInVocabularyNoOther(code: string, otherCode: string): string {
  return `code '${code}' is not in the model's vocabulary and the vocabulary has no ${otherCode} code`;
}

/**
 * Warning: only a small share of candidates met the scenario's criteria.
 *
 * @example
 * lowAcceptance(3, 1000) // => 'only 3 of 1000 candidates met the criteria'
 */
export function lowAcceptance(written: number, candidates: number): string {
  return `only ${written} of ${candidates} candidates met the criteria`;
}

/**
 * Warning: columns of an input table that trajsim does not use.
 *
 * @param file - the table's path
 * @param columns - the ignored column names
 * @example
 * ignoredColumns('patients.csv', ['x', 'y']) // => 'patients.csv: ignoring columns x, y'
 */
export function ignoredColumns(file: string, columns: readonly string[]): string {
  return `${file}: ignoring columns ${columns.join(', ')}`;
}

/**
 * Warning: a scenario horizon beyond the model's longest follow-up.
 *
 * @param horizonDays - the scenario's horizon (days)
 * @param maxFollowUpDays - the longest follow-up in the training data (days)
 * @example
 * horizonExtrapolated(4000, 3329)
 * // => 'horizon_days 4000 is beyond the longest follow-up the model saw (3329 days): survival past that is extrapolated'
 */
export function horizonExtrapolated(horizonDays: number, maxFollowUpDays: number): string {
  return `horizon_days ${horizonDays} is beyond the longest follow-up the model saw (${maxFollowUpDays} days): survival past that is extrapolated`;
}

/**
 * Note: a model folder was written.
 *
 * @example
 * modelSaved('models/colon') // => 'saved models/colon'
 */
export function modelSaved(dir: string): string {
  return `saved ${dir}`;
}

/**
 * Note: the native TensorFlow package in use.
 *
 * @example
 * usingNativeTensorflow('@tensorflow/tfjs-node') // => 'using native TensorFlow from @tensorflow/tfjs-node'
 */
export function usingNativeTensorflow(pkg: string): string {
  return `using native TensorFlow from ${pkg}`;
}

/**
 * Note: training resumes from a checkpoint.
 *
 * @param epoch - the last finished epoch (1-based)
 * @param bestNll - best validation NLL so far (nats/event)
 * @param bestEpoch - its epoch (1-based)
 * @example
 * trainingResumed(3, 1.23456, 2) // => 'resuming after epoch 3 (best validation NLL 1.2346 at epoch 2)'
 */
export function trainingResumed(epoch: number, bestNll: number, bestEpoch: number): string {
  return `resuming after epoch ${epoch} (best validation NLL ${bestNll.toFixed(4)} at epoch ${bestEpoch})`;
}

/**
 * Note: the Markov baseline starts training.
 *
 * @param condition - the attribute conditioned on, or undefined for none
 * @param patients - training patients
 * @example
 * markovTraining('stage', 800) // => "training Markov baseline conditioned on 'stage': 800 patients"
 */
export function markovTraining(condition: string | undefined, patients: number): string {
  return `training Markov baseline conditioned on ${condition ? `'${condition}'` : 'nothing'}: ${patients} patients`;
}

/**
 * Note: a generation resumed some complete parts.
 *
 * @example
 * partsResumed(2, 5) // => 'resumed: 2 of 5 parts were already complete'
 */
export function partsResumed(done: number, total: number): string {
  return `resumed: ${done} of ${total} parts were already complete`;
}

/**
 * Note: validation starts summarising the real data.
 *
 * @param dir - the real timeline directory
 * @param patients - its patient count
 * @param repeats - random half-splits
 * @example
 * summarisingReal('out/colon', 929, 8)
 * // => 'summarising real data out/colon (929 patients, 8 random half-splits)'
 */
export function summarisingReal(dir: string, patients: number, repeats: number): string {
  return `summarising real data ${dir} (${patients} patients, ${repeats} random half-splits)`;
}

/**
 * Note: validation computes metrics.
 *
 * @example
 * computingMetrics() // => 'computing metrics, noise floor and matched comparisons'
 */
export function computingMetrics(): string {
  return 'computing metrics, noise floor and matched comparisons';
}

// --- r-stats ---

/**
 * Warning: an RMST truncation time τ beyond the largest observed time of some groups, whose
 * curves are then carried flat to τ (an extrapolation).
 *
 * @param tauDays - τ in days.
 * @param groups - the names of the groups whose follow-up ends before τ.
 * @returns the message text.
 * @example
 * rmstTauBeyondFollowUp(3650, ['Obs'])
 * // => 'RMST at tau = 3650 days extrapolates beyond the follow-up of group Obs: the Kaplan-Meier curve is carried flat from the last observed time to tau'
 */
export function rmstTauBeyondFollowUp(tauDays: number, groups: readonly string[]): string {
  const which = groups.length === 1 ? `group ${groups[0]}` : `groups ${groups.join(', ')}`;
  return `RMST at tau = ${tauDays} days extrapolates beyond the follow-up of ${which}: the Kaplan-Meier curve is carried flat from the last observed time to tau`;
}

// --- f9-rules ---

/** A rule edit names a rule the set does not have. */
export function unknownRuleMessage(
  action: 'remove' | 'relax',
  id: string,
  known: readonly string[],
): string {
  return `no rule '${id}' to ${action}; known ids: ${known.join(', ')}`;
}

/** A scenario's intervention breaks a hard plausibility rule. */
export function interventionBreaksRuleMessage(conflict: string): string {
  return `the intervention ${conflict}; change it, or relax the rule in the scenario's "rules"`;
}

/** `trajsim rules DIR` on something that is neither a timeline nor a model folder. */
export function notRulesSourceMessage(
  dir: string,
  timelineFile: string,
  modelFile: string,
): string {
  return `${dir} is neither a timeline directory (${timelineFile}) nor a model folder (${modelFile})`;
}

/** A model folder without rules.json (it samples without rules). */
export function noModelRulesMessage(dir: string, file: string): string {
  return `${dir} has no ${file}: its model samples without rules (write one with: trajsim rules DATA --out ${dir})`;
}

// --- f14-inference ---

/**
 * Note of `trajsim infer` when the naive synthetic estimate differs from the real one
 * beyond noise.
 *
 * @param z - (synthetic − real) / se of the difference.
 * @returns the note text.
 * @example
 * syntheticDisagreesNote(3.1) // => 'the synthetic cohort disagrees with the real sample beyond noise (z = 3.10): ...'
 */
export function syntheticDisagreesNote(z: number): string {
  return `the synthetic cohort disagrees with the real sample beyond noise (z = ${z.toFixed(2)}): do not use the naive synthetic estimate; the combined estimate corrects the bias through the twins`;
}

/**
 * Note of `trajsim infer` when the twins (real attributes) and the synthetic cohort (the
 * model's attributes) disagree beyond noise, so the synthetic weight was shrunk.
 *
 * @param z - (twins − cohort) / se of the difference.
 * @param weight - the synthetic weight λ used.
 * @returns the note text.
 * @example
 * cohortMismatchNote(2.5, 0.1) // => 'the twins and the synthetic cohort disagree (z = 2.50) ...'
 */
export function cohortMismatchNote(z: number, weight: number): string {
  return `the twins and the synthetic cohort disagree (z = ${z.toFixed(2)}): the cohort's attribute mix may differ from the real patients'; the combined estimate falls back toward real only (synthetic weight ${weight.toFixed(3)})`;
}

/**
 * Note of `trajsim infer` without twins: the combined row is the real-only row.
 *
 * @returns the note text.
 * @example
 * noTwinsNote() // => 'no twins of the real patients (give --model or --twins): ...'
 */
export function noTwinsNote(): string {
  return 'no twins of the real patients (give --model or --twins): without paired synthetic data the synthetic bias cannot be estimated, so the combined estimate is the real-only one';
}

// --- f17-attributes ---

/**
 * A forced attribute level the attribute model never saw (INFEASIBLE).
 *
 * @example
 * unseenForcedLevelMessage('stage', 'V', ['I', 'II']) // => "attribute 'stage': level 'V' was never seen in training (levels: I, II)"
 */
export function unseenForcedLevelMessage(
  attribute: string,
  level: string,
  levels: readonly string[],
): string {
  return `attribute '${attribute}': level '${level}' was never seen in training (levels: ${levels.join(', ')})`;
}

/**
 * A non-number forced on a numeric attribute (INVALID_ARGUMENT).
 *
 * @example
 * forcedNotNumberMessage('age', 'old') // => "attribute 'age' is numeric; got 'old'"
 */
export function forcedNotNumberMessage(attribute: string, value: unknown): string {
  return `attribute '${attribute}' is numeric; got '${String(value)}'`;
}

/**
 * A CART attribute model in a manifest that is not consistent (MODEL, field attributeModel).
 *
 * @example
 * badCartModelMessage('node4', 3, 'splits on an attribute not drawn before it')
 * // => "attribute model, tree 'node4' node 3: splits on an attribute not drawn before it"
 */
export function badCartModelMessage(tree: string, node: number, reason: string): string {
  return `attribute model, tree '${tree}' node ${node}: ${reason}`;
}

/**
 * A CART attribute model whose tree count differs from the manifest's attributes.
 *
 * @example
 * cartTreeCountMessage(11, 10) // => 'attribute model: expected 11 trees (one per attribute), found 10'
 */
export function cartTreeCountMessage(expected: number, found: number): string {
  return `attribute model: expected ${expected} trees (one per attribute), found ${found}`;
}

// --- f11-engine ---

/**
 * The one line saying which generation engine runs.
 *
 * @example
 * generationEngineInUse('tfjs (wasm)') // => 'generation engine: tfjs (wasm)'
 */
export function generationEngineInUse(engine: string): string {
  return `generation engine: ${engine}`;
}

/**
 * Why the default engine fell back from onnx to tfjs.
 *
 * @example
 * onnxEngineFallback('not installed') // => 'onnxruntime-node is not available (not installed); using the tfjs engine'
 */
export function onnxEngineFallback(reason: string): string {
  return `onnxruntime-node is not available (${reason}); using the tfjs engine`;
}

/**
 * The error of `--engine onnx` when onnxruntime-node cannot be loaded.
 *
 * @example
 * onnxRuntimeUnavailable("Cannot find package 'onnxruntime-node'") // => 'the onnx engine needs onnxruntime-node ...'
 */
export function onnxRuntimeUnavailable(reason: string): string {
  return `the onnx engine needs onnxruntime-node (a dependency of trajsim; it ships CPU binaries for linux/darwin/win32 x64 and arm64), which could not be loaded: ${reason}. Use --engine tfjs otherwise.`;
}

/**
 * The error of `--device cuda` where ONNX Runtime's CUDA provider is missing or fails, with
 * the recipe.
 *
 * @example
 * cudaProviderUnavailable('no GPU') // => '--device cuda needs ONNX Runtime's CUDA 12 provider (no GPU). ...'
 */
export function cudaProviderUnavailable(reason: string): string {
  return (
    `--device cuda needs ONNX Runtime's CUDA 12 provider (${reason}). On a Linux x64 machine with an NVIDIA GPU, ` +
    'CUDA 12.x and cuDNN 9: ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node (downloads the provider ' +
    'from NuGet; see docs/model.md, "Generation on a GPU"). Run without --device cuda to use the CPU.'
  );
}

// --- f16-privacy ---

/**
 * Note: the privacy metrics search nearest training and holdout records.
 *
 * @param queries - synthetic records searched.
 * @example
 * privacyNearestRecords(2000) // => 'privacy: nearest training and holdout records of 2000 synthetic patients'
 */
export function privacyNearestRecords(queries: number): string {
  return `privacy: nearest training and holdout records of ${queries} synthetic patients`;
}

/**
 * Note: the membership-inference attacks run.
 *
 * @param records - members (and as many non-members).
 * @example
 * privacyMembershipAttacks(1000) // => 'privacy: membership inference on 1000 members and 1000 non-members'
 */
export function privacyMembershipAttacks(records: number): string {
  return `privacy: membership inference on ${records} members and ${records} non-members`;
}

/**
 * Error: a timeline compared for privacy lacks an attribute of the training data.
 *
 * @example
 * privacyAttributeMissing('syn', 'categorical', 'sex')
 * // => "timeline 'syn' has no categorical attribute 'sex' (the training data has it)"
 */
export function privacyAttributeMissing(timeline: string, kind: string, name: string): string {
  return `timeline '${timeline}' has no ${kind} attribute '${name}' (the training data has it)`;
}

/**
 * Error: the likelihood attack was given a model that is not a GRU.
 *
 * @example
 * likelihoodNeedsGru('models/m', 'markov') // => 'the likelihood attack needs a GRU model; models/m is markov'
 */
export function likelihoodNeedsGru(dir: string, kind: string): string {
  return `the likelihood attack needs a GRU model; ${dir} is ${kind}`;
}

/**
 * Error: validate was given --holdout or --model without --train.
 *
 * @example
 * privacyNeedsTrain() // => '--holdout and --model need --train (the privacy section)'
 */
export function privacyNeedsTrain(): string {
  return '--holdout and --model need --train (the privacy section)';
}

// --- f13-interop ---

/**
 * Warning: event codes without a concept-map row, written to OMOP OBSERVATION with concept 0.
 *
 * @param counts - events per unmapped code.
 * @returns the message text.
 * @example
 * omopUnmappedCodes({ VISIT: 12 })
 * // => '1 code (12 events) has no concept-map row and went to OBSERVATION with concept_id 0: VISIT (12)'
 */
export function omopUnmappedCodes(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  const events = entries.reduce((s, [, n]) => s + n, 0);
  const codes = entries.length === 1 ? '1 code' : `${entries.length} codes`;
  const verb = entries.length === 1 ? 'has' : 'have';
  return `${codes} (${events} events) ${verb} no concept-map row and went to OBSERVATION with concept_id 0: ${entries.map(([c, n]) => `${c} (${n})`).join(', ')}`;
}

// --- f18-robustness ---

/**
 * Error: a CSV field or record longer than the reader accepts (usually a stray `"` that
 * swallows the rest of the file, or a file that is not CSV at all).
 *
 * @param what - 'field' or 'record'.
 * @param limit - the limit in characters.
 * @returns the message text.
 * @example
 * csvTooLong('field', 65536)
 * // => 'a CSV field longer than 65536 characters (a stray " that is never closed, or not a CSV file?); see docs/limits.md'
 */
export function csvTooLong(what: 'field' | 'record', limit: number): string {
  return `a CSV ${what} longer than ${limit} characters (a stray " that is never closed, or not a CSV file?); see docs/limits.md`;
}

/**
 * Error: an Arrow column of a type the importer does not read (Binary, List, Struct...).
 *
 * @param type - the Arrow type as text.
 * @returns the message text.
 * @example
 * arrowUnsupportedType('Binary')
 * // => 'Arrow type Binary is not supported; expected Utf8, Int, Float, Bool, Date or Timestamp'
 */
export function arrowUnsupportedType(type: string): string {
  return `Arrow type ${type} is not supported; expected Utf8, Int, Float, Bool, Date or Timestamp`;
}

/**
 * Error: a Float Arrow value that is NaN or infinite (write a null for a missing value).
 *
 * @param value - the value as text.
 * @returns the message text.
 * @example
 * arrowNonFinite('NaN') // => 'value NaN is not a finite number; write a null for a missing value'
 */
export function arrowNonFinite(value: string): string {
  return `value ${value} is not a finite number; write a null for a missing value`;
}

/**
 * Error: an import with more distinct event codes than trajsim accepts.
 *
 * @param limit - the most distinct codes accepted.
 * @returns the message text.
 * @example
 * tooManyCodes(10000)
 * // => 'more than 10000 distinct event codes; group rare codes before import (see docs/limits.md)'
 */
export function tooManyCodes(limit: number): string {
  return `more than ${limit} distinct event codes; group rare codes before import (see docs/limits.md)`;
}

/**
 * Error: categorical weights whose sum overflows (e.g. 1e308 twice).
 *
 * @returns the message text.
 * @example
 * weightsOverflow() // => 'the weights sum to more than the largest number; use relative weights such as 1 and 3'
 */
export function weightsOverflow(): string {
  return 'the weights sum to more than the largest number; use relative weights such as 1 and 3';
}

/**
 * Error: a numeric attribute distribution whose draws would be infinite.
 *
 * @returns the message text.
 * @example
 * distributionOverflow()
 * // => 'this distribution draws values too large to represent (infinite); narrow min/max or lower mean/sd'
 */
export function distributionOverflow(): string {
  return 'this distribution draws values too large to represent (infinite); narrow min/max or lower mean/sd';
}

/**
 * Error: a JSON key that would change an object's prototype.
 *
 * @param key - the key.
 * @returns the message text.
 * @example
 * forbiddenJsonKey('__proto__') // => "the key '__proto__' is not allowed (it names the object prototype)"
 */
export function forbiddenJsonKey(key: string): string {
  return `the key '${key}' is not allowed (it names the object prototype)`;
}

/**
 * Error: a JSON document nested deeper than trajsim reads.
 *
 * @param limit - the deepest nesting accepted.
 * @returns the message text.
 * @example
 * jsonTooDeep(64) // => 'nested more than 64 levels deep; trajsim inputs are at most a few levels deep'
 */
export function jsonTooDeep(limit: number): string {
  return `nested more than ${limit} levels deep; trajsim inputs are at most a few levels deep`;
}

/**
 * Error: a model weight that is NaN or infinite (a corrupt or diverged model).
 *
 * @param index - the float index in weights.bin.
 * @param name - the weight tensor it belongs to.
 * @returns the message text.
 * @example
 * nonFiniteWeight(12, 'gru/kernel')
 * // => 'weight 12 (in gru/kernel) is NaN or infinite: the model is corrupt or its training diverged; retrain it'
 */
export function nonFiniteWeight(index: number, name: string): string {
  return `weight ${index} (in ${name}) is NaN or infinite: the model is corrupt or its training diverged; retrain it`;
}

/**
 * Error: more shards than patients (some shards would be empty).
 *
 * @param shards - the shard count N.
 * @param patients - the cohort size.
 * @returns the message text.
 * @example
 * shardsExceedPatients(200, 100) // => '--shard asks for 200 shards of a 100-patient cohort; use at most 100 shards'
 */
export function shardsExceedPatients(shards: number, patients: number): string {
  return `--shard asks for ${shards} shards of a ${patients}-patient cohort; use at most ${patients} shards`;
}

/**
 * Error: a synthetic timeline without attributes the real data has (validation would pass
 * vacuously on them).
 *
 * @param dir - the synthetic directory.
 * @param missing - the real attributes it lacks.
 * @param realDir - the real directory.
 * @returns the message text.
 * @example
 * syntheticLacksAttributes('out/syn', ['age'], 'out/colon')
 * // => 'out/syn has no attribute age of the real data out/colon; generate it with a model trained on that data'
 */
export function syntheticLacksAttributes(
  dir: string,
  missing: readonly string[],
  realDir: string,
): string {
  return `${dir} has no attribute ${missing.join(', ')} of the real data ${realDir}; generate it with a model trained on that data`;
}

/**
 * Error: synthetic shards with different attribute sets.
 *
 * @param dir - the shard that differs.
 * @param names - its attributes.
 * @param firstDir - the first shard.
 * @param first - the first shard's attributes, as text.
 * @returns the message text.
 * @example
 * shardAttributesDiffer('s2', ['age'], 's1', 'age, sex') // => 's2 has attributes age; s1 has age, sex: shards of one cohort have the same attributes'
 */
export function shardAttributesDiffer(
  dir: string,
  names: readonly string[],
  firstDir: string,
  first: string,
): string {
  return `${dir} has attributes ${names.join(', ') || '(none)'}; ${firstDir} has ${first || '(none)'}: shards of one cohort have the same attributes`;
}

/**
 * Error: too few real patients to validate against.
 *
 * @param dir - the real directory.
 * @param patients - its patient count.
 * @param minimum - the fewest accepted.
 * @returns the message text.
 * @example
 * tooFewRealPatients('real', 2, 20) // => 'real has 2 patients; validation needs at least 20 real patients (it compares random halves of them)'
 */
export function tooFewRealPatients(dir: string, patients: number, minimum: number): string {
  return `${dir} has ${patients} patients; validation needs at least ${minimum} real patients (it compares random halves of them)`;
}

/**
 * Error: `merge` inputs that are not one run's complete shard set.
 *
 * @param reason - what differs.
 * @returns the message text.
 * @example
 * mergeRefused('out/a has seed 1; out/b has seed 2') // => 'cannot merge: out/a has seed 1; out/b has seed 2'
 */
export function mergeRefused(reason: string): string {
  return `cannot merge: ${reason}`;
}

/**
 * Error: a timeline whose data files do not match the contentHash of its timeline.json.
 *
 * @returns the message text.
 * @example
 * contentHashMismatch() // => 'patients.arrow and events.arrow are not the files this timeline.json describes (edited or replaced); import or generate the timeline again'
 */
export function contentHashMismatch(): string {
  return 'patients.arrow and events.arrow are not the files this timeline.json describes (edited or replaced); import or generate the timeline again';
}

// --- f12b ---

/**
 * Note: a step of `trajsim demo` (runDemo) begins.
 *
 * @param step - the step, 1 to 3.
 * @param what - what the step does.
 * @returns the message text.
 * @example
 * demoStep(3, 'validating the synthetic cohort against the real data') // => '3/3 validating the synthetic cohort against the real data'
 */
export function demoStep(step: number, what: string): string {
  return `${step}/3 ${what}`;
}

/**
 * Error: the demo's --out holds files that no demo wrote.
 *
 * @param entries - the first foreign entries.
 * @returns the message text.
 * @example
 * demoOutputForeign(['notes.txt']) // => "the folder holds files that are not a demo's output (notes.txt); choose another --out"
 */
export function demoOutputForeign(entries: readonly string[]): string {
  return `the folder holds files that are not a demo's output (${entries.join(', ')}); choose another --out`;
}

/**
 * Error: the package has no default model for the demo.
 *
 * @param modelDir - where the model was looked for.
 * @returns the message text.
 * @example
 * demoNoDefaultModel('/app/models/default') // => 'no default model at /app/models/default; rebuild it with scripts/train-default-model.sh'
 */
export function demoNoDefaultModel(modelDir: string): string {
  return `no default model at ${modelDir}; rebuild it with scripts/train-default-model.sh`;
}

// --- f18b ---

/**
 * Error: a checkpoint of `generate --resume` that cannot be read back (truncated or edited).
 *
 * @param file - the checkpoint file or part folder that failed.
 * @param partial - the checkpoint folder (`<out>.partial`).
 * @param reason - what is wrong with it.
 * @returns the message text.
 * @example
 * corruptCheckpoint('o.partial/part-000000/tally.json', 'o.partial', 'not valid JSON') // => 'the --resume checkpoint o.partial/part-000000/tally.json is damaged (not valid JSON); delete the checkpoint folder o.partial to start over, or run without --resume'
 */
export function corruptCheckpoint(file: string, partial: string, reason: string): string {
  return `the --resume checkpoint ${file} is damaged (${reason}); delete the checkpoint folder ${partial} to start over, or run without --resume`;
}

/**
 * Error: another `generate --resume` run (a live process) holds the checkpoint folder.
 *
 * @param partial - the checkpoint folder.
 * @param pid - the owner's process id.
 * @returns the message text.
 * @example
 * resumeLocked('o.partial', 4242) // => 'another generate --resume run (pid 4242) is writing o.partial; wait for it to finish, or stop it first (two runs into one --out would overwrite each other)'
 */
export function resumeLocked(partial: string, pid: number): string {
  return `another generate --resume run (pid ${pid}) is writing ${partial}; wait for it to finish, or stop it first (two runs into one --out would overwrite each other)`;
}

/**
 * Warning: the lock of a `--resume` checkpoint left by a process that no longer runs is taken over.
 *
 * @param partial - the checkpoint folder.
 * @param owner - the dead owner's pid as written in the lock (text; may be unreadable).
 * @returns the message text.
 * @example
 * staleResumeLockTaken('o.partial', '4242') // => 'o.partial was locked by pid 4242, which no longer runs (a killed run); taking the checkpoint over'
 */
export function staleResumeLockTaken(partial: string, owner: string): string {
  return `${partial} was locked by pid ${owner}, which no longer runs (a killed run); taking the checkpoint over`;
}

/** Bytes as a short decimal size (kB, MB, GB, TB). */
function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${Math.round(v)} bytes` : `${v.toPrecision(3)} ${units[u]}`;
}

/** A duration as seconds, minutes, hours or days. */
function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${(seconds / 3600).toPrecision(2)} h`;
  return `${(seconds / 86400).toPrecision(2)} days`;
}

/**
 * Note: the expected size and time of a large generate run, printed before it starts.
 *
 * @param e - patients, events, bytes (on disk at the peak) and seconds.
 * @param rate - the patients per second the time assumes.
 * @param free - free bytes where the output goes (undefined: unknown).
 * @param where - the output's parent folder.
 * @returns the message text.
 * @example
 * generationEstimate({ patients: 2e6, events: 7e6, bytes: 3.54e8, seconds: 400 }, 5000, 7.7e10, '/w') // => 'expected output: 2,000,000 patients, ~7,000,000 events, ~354 MB; ~7 min at ~5,000 patients/s; 77.0 GB free in /w'
 */
export function generationEstimate(
  e: { patients: number; events: number; bytes: number; seconds: number },
  rate: number,
  free: number | undefined,
  where: string,
): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  return `expected output: ${n(e.patients)} patients, ~${n(e.events)} events, ~${formatBytes(e.bytes)}; ~${formatDuration(e.seconds)} at ~${n(rate)} patients/s; ${free === undefined ? 'free disk unknown' : `${formatBytes(free)} free`} in ${where}`;
}

/**
 * Error: a generate run whose expected output does not fit the free disk.
 *
 * @param bytes - the expected output size (bytes).
 * @param free - free bytes where it goes.
 * @param where - the output's parent folder.
 * @returns the message text.
 * @example
 * notEnoughDisk(1.7e11, 7.7e10, '/w') // => 'the output would need about 170 GB but /w has 77.0 GB free; generate fewer patients, use --shard to split the run over disks, or free space (see docs/limits.md)'
 */
export function notEnoughDisk(bytes: number, free: number, where: string): string {
  return `the output would need about ${formatBytes(bytes)} but ${where} has ${formatBytes(free)} free; generate fewer patients, use --shard to split the run over disks, or free space (see docs/limits.md)`;
}

// --- r-dedupe ---

/**
 * Error: a command-line name (backend, engine, …) outside its closed set.
 *
 * @param what - what is named, e.g. 'backend'.
 * @param text - the value given.
 * @param allowed - the allowed values, in order.
 * @returns the message text.
 * @example
 * unknownName('engine', 'gpu', ['onnx', 'tfjs']) // => "unknown engine 'gpu'; expected one of onnx, tfjs"
 */
export function unknownName(what: string, text: string, allowed: readonly string[]): string {
  return `unknown ${what} '${text}'; expected one of ${allowed.join(', ')}`;
}

// --- g10-data ---

/**
 * Error text: a scenario value criterion (value_above / value_below) on a code whose events
 * the model gives no values.
 *
 * @param code - the criterion's code
 * @param valued - the model's valued codes, in vocabulary order
 * @returns the message text
 * @example
 * codeWithoutValues('DEATH', ['LAB:hdl']) // => "code 'DEATH' is not a valued code of the model (value criteria need one); valued codes: LAB:hdl"
 */
export function codeWithoutValues(code: string, valued: readonly string[]): string {
  return `code '${code}' is not a valued code of the model (value criteria need one); valued codes: ${valued.length > 0 ? valued.join(', ') : 'none (the model generates no values)'}`;
}

// --- g11-scale ---

/**
 * Note: `generate --threads N` with the tfjs engine, which samples on the main thread only.
 *
 * @param threads - the threads asked for.
 * @returns the message text.
 * @example
 * tfjsSingleThread(2) // => 'the tfjs engine samples on one thread (--threads 2 applies to the onnx engine); using 1 thread'
 */
export function tfjsSingleThread(threads: number): string {
  return `the tfjs engine samples on one thread (--threads ${threads} applies to the onnx engine); using 1 thread`;
}

/**
 * Note: how many worker threads a generation run samples on.
 *
 * @param threads - worker threads.
 * @returns the message text.
 * @example
 * generationThreads(2) // => 'sampling on 2 worker threads (ONNX Runtime: 1 intra-op thread each)'
 */
export function generationThreads(threads: number): string {
  return `sampling on ${threads} worker threads (ONNX Runtime: 1 intra-op thread each)`;
}

/**
 * Error: serialised summaries (validate --summaries) that are not the shards of one cohort in order.
 *
 * @param file - the summary (or directory) that does not fit.
 * @param part - its first patient, patients and cohort total.
 * @param expectedFirst - the first patient expected there.
 * @param expectedTotal - the cohort total of the first summary.
 * @returns the message text.
 * @example
 * summaryPartsDoNotTile('s2.json', { firstPatient: 0, totalPatients: 10, full: { patients: 5 } }, 5, 10)
 * // => 's2.json holds patients 0..4 of a cohort of 10; expected patients from 5 of a cohort of 10 here (give the summaries of every shard once, in shard order)'
 */
export function summaryPartsDoNotTile(
  file: string,
  part: { firstPatient: number; totalPatients: number; full: { patients: number } },
  expectedFirst: number,
  expectedTotal: number,
): string {
  return `${file} holds patients ${part.firstPatient}..${part.firstPatient + part.full.patients - 1} of a cohort of ${part.totalPatients}; expected patients from ${expectedFirst} of a cohort of ${expectedTotal} here (give the summaries of every shard once, in shard order)`;
}

// --- g13c ---

/**
 * Error: a timeline's seeded training split does not reproduce the one a model recorded
 * (it is not the model's training data).
 *
 * @param timeline - the timeline's name.
 * @param got - patients in its training / validation split.
 * @param recorded - the model's manifest `training.trainPatients` / `validationPatients`.
 * @returns the message text.
 * @example
 * trainingSplitMismatch('mgus2', [1246, 138], [836, 93])
 * // => 'mgus2: the training split has 1246 training and 138 validation patients, the model was trained on 836 and validated on 93 (is this its training data?)'
 */
export function trainingSplitMismatch(
  timeline: string,
  got: readonly [number, number],
  recorded: readonly [number, number],
): string {
  return `${timeline}: the training split has ${got[0]} training and ${got[1]} validation patients, the model was trained on ${recorded[0]} and validated on ${recorded[1]} (is this its training data?)`;
}

/**
 * Error: refitAttributeModel's `minLeaf` is not a positive integer, or was given for the
 * one-parent model (which has no leaves).
 *
 * @param minLeaf - the value given.
 * @param kind - the attribute model asked for.
 * @returns the message text.
 * @example
 * refitMinLeafInvalid(0, 'cart') // => 'minLeaf is 0; expected a positive integer (fewest training patients on each side of a CART split)'
 */
export function refitMinLeafInvalid(minLeaf: number, kind: 'cart' | 'parent'): string {
  return kind === 'parent'
    ? 'minLeaf applies to the CART attribute model only, not to kind "parent"'
    : `minLeaf is ${minLeaf}; expected a positive integer (fewest training patients on each side of a CART split)`;
}

// --- h17b ---

/**
 * Error: a model's code head can only be refitted on the timeline it was trained on.
 *
 * @param dataDir - the timeline folder given.
 * @param hash - its content hash.
 * @param expected - the model's `training.contentHash`.
 * @returns the message text.
 * @example
 * codeHeadRefitDataMismatch('out/x', 'ab12', 'cd34')
 * // => 'out/x: content hash ab12 differs from the model's training data cd34; the code head is refitted on the rows it was trained on'
 */
export function codeHeadRefitDataMismatch(dataDir: string, hash: string, expected: string): string {
  return `${dataDir}: content hash ${hash} differs from the model's training data ${expected}; the code head is refitted on the rows it was trained on`;
}

/**
 * Error: only a GRU model has a code head to refit.
 *
 * @param kind - the model's kind.
 * @returns the message text.
 * @example
 * codeHeadRefitNotGru('markov') // => 'a markov model has no code head to refit (GRU models only)'
 */
export function codeHeadRefitNotGru(kind: string): string {
  return `a ${kind} model has no code head to refit (GRU models only)`;
}

/**
 * Info: `trajsim train` refitted the code head after training (refit-code-head.ts).
 *
 * @param parameters - refitted weights (code bias, plus the skip's code kernel).
 * @param iterations - Newton steps taken.
 * @param before - training code NLL before (nats per event).
 * @param after - training code NLL after (nats per event).
 * @returns the message text.
 * @example
 * codeHeadRefitted(14, 2, 0.50966, 0.50939)
 * // => 'code head refitted on the training rows (14 weights, 2 Newton steps): training code NLL 0.5097 -> 0.5094'
 */
export function codeHeadRefitted(
  parameters: number,
  iterations: number,
  before: number,
  after: number,
): string {
  return `code head refitted on the training rows (${parameters} weights, ${iterations} Newton steps): training code NLL ${before.toFixed(4)} -> ${after.toFixed(4)}`;
}
