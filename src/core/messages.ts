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
