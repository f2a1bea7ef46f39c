import { TrajsimError } from '../core/errors.js';
import {
  codeNotInVocabularyNoOther,
  type Logger,
  MESSAGES,
  rareCodesGrouped,
  SILENT_LOGGER,
} from '../core/messages.js';
import { TERMINAL_CODES, type Timeline } from '../timeline/types.js';

/** Codes seen in fewer patients than this are rare: grouped into {@link OTHER_CODE} or refused. */
export const MIN_CODE_PATIENTS = 5;

/** The code that stands for every rare code after grouping. */
export const OTHER_CODE = 'OTHER';

/** What to do with rare codes: group them into `OTHER` (with a warning) or refuse the data. */
export type RareCodePolicy = 'group' | 'refuse';

/**
 * The codes a model predicts. Terminal codes (`DEATH`, `END_OF_FOLLOWUP`) are always present,
 * so a sampler can always censor at a horizon. The input side adds one beginning-of-sequence
 * token after the last code (index `codes.length`).
 */
export interface Vocabulary {
  readonly codes: readonly string[];
  /** Codes of the training data that were grouped into `OTHER`. */
  readonly grouped: readonly string[];
}

export interface VocabularyOptions {
  /** Minimum number of patients a code must appear in (default {@link MIN_CODE_PATIENTS}). */
  readonly minPatients?: number;
  readonly rareCodes?: RareCodePolicy;
  readonly logger?: Logger;
}

/**
 * Builds the vocabulary of a timeline: codes in the timeline's dictionary order, rare codes
 * (fewer than `minPatients` patients) grouped into `OTHER` or refused. Counts patients, not
 * events, so one patient's 40 visits do not make a code common.
 *
 * Throws INVALID_INPUT when `rareCodes` is 'refuse' and a code is rare.
 *
 * @example
 * buildVocabulary(colon).codes
 * // => ['DIAGNOSIS', 'TREATMENT_START:Lev', ..., 'DEATH', 'END_OF_FOLLOWUP']
 */
export function buildVocabulary(timeline: Timeline, options: VocabularyOptions = {}): Vocabulary {
  const minPatients = options.minPatients ?? MIN_CODE_PATIENTS;
  const logger = options.logger ?? SILENT_LOGGER;
  const { codes } = timeline.events;
  const patientsWith = countPatientsPerCode(timeline);
  const kept: string[] = [];
  const grouped: string[] = [];
  codes.forEach((code, i) => {
    const n = patientsWith[i]!;
    if (n === 0) return;
    if (code === TERMINAL_CODES.DEATH || code === TERMINAL_CODES.END_OF_FOLLOWUP) return;
    if (n >= minPatients) kept.push(code);
    else grouped.push(code);
  });
  if (grouped.length > 0) {
    const list = grouped.slice(0, 10).join(', ') + (grouped.length > 10 ? ', ...' : '');
    if (options.rareCodes === 'refuse') {
      throw new TrajsimError(
        'INVALID_INPUT',
        `${grouped.length} code(s) appear in fewer than ${minPatients} patients (${list}); ` +
          'group them (default) or remove them from the data',
      );
    }
    logger.warn(
      MESSAGES.RARE_CODE_GROUPED,
      rareCodesGrouped(grouped.length, minPatients, OTHER_CODE, list),
    );
    if (!kept.includes(OTHER_CODE)) kept.push(OTHER_CODE);
  }
  kept.push(TERMINAL_CODES.DEATH, TERMINAL_CODES.END_OF_FOLLOWUP);
  return { codes: kept, grouped };
}

/** Number of distinct patients per timeline code index. */
function countPatientsPerCode(timeline: Timeline): Int32Array {
  const { code, codes } = timeline.events;
  const counts = new Int32Array(codes.length);
  const lastPatient = new Int32Array(codes.length).fill(-1);
  const nP = timeline.offsets.length - 1;
  for (let p = 0; p < nP; p++) {
    for (let e = timeline.offsets[p]!; e < timeline.offsets[p + 1]!; e++) {
      const c = code[e]!;
      if (lastPatient[c] !== p) {
        lastPatient[c] = p;
        counts[c]!++;
      }
    }
  }
  return counts;
}

/**
 * Maps each code index of `timelineCodes` to its vocabulary index (rare codes to `OTHER`).
 * Throws INVALID_INPUT for a code the vocabulary cannot represent.
 *
 * @example
 * mapCodesToVocabulary(vocabulary, timeline.events.codes) // => vocabulary index of each timeline code (rare codes -> OTHER)
 */
export function mapCodesToVocabulary(
  vocabulary: Vocabulary,
  timelineCodes: readonly string[],
): Int32Array {
  const index = new Map(vocabulary.codes.map((c, i) => [c, i]));
  const other = index.get(OTHER_CODE);
  return Int32Array.from(timelineCodes, (code) => {
    const i = index.get(code) ?? other;
    if (i === undefined) {
      throw new TrajsimError('INVALID_INPUT', codeNotInVocabularyNoOther(code, OTHER_CODE));
    }
    return i;
  });
}
