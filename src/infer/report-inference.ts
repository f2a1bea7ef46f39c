import { TrajsimError } from '../core/errors.js';
import type { Logger } from '../core/messages.js';
import { type InferenceQuery, parseInferenceTarget } from '../stats/inference/inference-target.js';
import { type RunInferenceResult, runInferences } from './run-inference.js';

export interface ReportInferenceOptions {
  /** The real timeline directory. */
  readonly realDir: string;
  /** The synthetic timeline directories; inference takes exactly one. */
  readonly syntheticDirs: readonly string[];
  /** Comma-separated targets, e.g. 'survival@1825,rmst@1825,median,hr:rx'. */
  readonly targets: string;
  /** Contrast B − A of this attribute (ignored by hr targets). */
  readonly by?: string;
  /** The two levels 'A,B' of the contrast. */
  readonly levels?: string;
  /** The model that generates twins of the real patients. */
  readonly model?: string;
  readonly seed: string;
  readonly logger?: Logger;
}

/**
 * The inference rows of `validate --infer`: each target's real, naive synthetic and combined
 * estimate of the DEATH endpoint (src/infer/run-inference.ts).
 *
 * @param options - directories, targets, contrast, twin model, seed
 * @returns one result per target, in the order given
 * @throws TrajsimError INVALID_ARGUMENT for more than one synthetic directory, levels that are
 *   not two, or a target that does not parse
 * @example
 * await inferencesForReport({ realDir: 'out/real', syntheticDirs: ['out/syn'], targets: 'median', seed: '1' })
 */
export async function inferencesForReport(
  options: ReportInferenceOptions,
): Promise<RunInferenceResult[]> {
  if (options.syntheticDirs.length !== 1) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `--infer takes one synthetic directory, got ${options.syntheticDirs.length} (merge shards with trajsim merge)`,
      { field: 'infer' },
    );
  }
  const levels = (options.levels ?? '').split(',').filter(Boolean);
  if (options.levels !== undefined && levels.length !== 2) {
    throw new TrajsimError('INVALID_ARGUMENT', `--infer-levels '${options.levels}': expected A,B`, {
      field: 'infer-levels',
    });
  }
  const queries = options.targets.split(',').map((spec): InferenceQuery => {
    const target = parseInferenceTarget(spec);
    return {
      target,
      endpoint: 'DEATH',
      ...(options.by !== undefined && target.kind !== 'hr' ? { by: options.by } : {}),
      ...(levels.length === 2
        ? { levels: [levels[0] as string, levels[1] as string] as const }
        : {}),
    };
  });
  return runInferences({
    realDir: options.realDir,
    syntheticDir: options.syntheticDirs[0] as string,
    queries,
    ...(options.model !== undefined ? { model: options.model } : {}),
    seed: options.seed,
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
